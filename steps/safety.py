"""Steps for features/safety: naming reality and the tier guard."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, then, when

from harness import guard
from harness import topology as topology_mod
from harness.errors import ConfigError, GuardRefusal
from harness.evidence.journal import CheckRecord
from harness.topology import Topology
from harness.world import World


@then(parsers.parse('tier "{tier}" is production in account "{account}"'))
def tier_is_production(topology: Topology, tier: str, account: str) -> None:
    t = topology.tier(tier)
    assert t.production and t.account_id == account, f"{tier}: production={t.production}, account={t.account_id}"


@then(parsers.parse('tier "{tier}" runs cluster "{cluster}", service "{service}" and task family "{family}"'))
def tier_runs(topology: Topology, tier: str, cluster: str, service: str, family: str) -> None:
    t = topology.tier(tier)
    assert (t.cluster, t.service, t.task_family) == (cluster, service, family)


@then(parsers.parse('tier "{tier}" runs cluster "{cluster}", service "{service}" and task family "{family}" in account "{account}"'))
def tier_runs_in(topology: Topology, tier: str, cluster: str, service: str, family: str, account: str) -> None:
    t = topology.tier(tier)
    assert (t.cluster, t.service, t.task_family, t.account_id) == (cluster, service, family, account)


@then(parsers.parse('tier "{tier}" keeps its data in "{db}"'))
def tier_data(topology: Topology, tier: str, db: str) -> None:
    assert topology.tier(tier).db_instance == db


@then(parsers.parse('the cluster "{cluster}" exists only in account "{account}"'))
def cluster_only_in(world: World, check: CheckRecord, cluster: str, account: str) -> None:
    found = {t.name: world.client(t.name, "ecs").describe_clusters(clusters=[cluster])["clusters"]
             for t in world.topology.tiers.values() if t.is_aws}
    holders = {world.caller_account(name) for name, c in found.items() if c}
    check.note(f"cluster {cluster} found in account(s): {', '.join(sorted(holders))}")
    assert holders == {account}, f"{cluster} found in accounts {holders}"


@when(parsers.parse('a drill is requested on tier "{tier}"'), target_fixture="refusal")
def drill_requested(topology: Topology, tier: str) -> GuardRefusal:
    with pytest.raises(GuardRefusal) as caught:
        guard.check_drill_target(topology.tier(tier))
    return caught.value


@when(parsers.parse('staging\'s credentials try to write to tier "{tier}"'), target_fixture="refusal")
def staging_writes(world: World, tier: str) -> GuardRefusal:
    with pytest.raises(GuardRefusal) as caught:
        world.guard_write(tier, as_tier="staging", action="update the service")
    return caught.value


@when(parsers.parse('production\'s own credentials try to write to tier "{tier}" without the explicit flag'),
      target_fixture="refusal")
def prod_writes_without_flag(world: World, tier: str) -> GuardRefusal:
    with pytest.raises(GuardRefusal) as caught:
        world.guard_write(tier, action="update the service")
    return caught.value


@then(parsers.parse('it is refused with a message naming "{first}" and "{second}"'))
def refused_naming(refusal: GuardRefusal, check: CheckRecord, first: str, second: str) -> None:
    check.note(refusal.render())
    assert first in str(refusal) and second in str(refusal), str(refusal)


@then(parsers.parse('tier "{tier}" shares no account, cluster, service, database or host with tier "{other}"'))
def shares_nothing(topology: Topology, tier: str, other: str) -> None:
    mine = set(topology.tier(tier).resource_names().values())
    theirs = set(topology.tier(other).resource_names().values())
    assert not mine & theirs, f"{tier} shares {mine & theirs} with {other}"


@then(parsers.parse('a topology whose dev tier points at the production database is rejected naming "{key}"'))
def dev_pointing_at_prod_rejected(check: CheckRecord, key: str) -> None:
    text = topology_mod.bundled_path().read_text(encoding="utf-8").replace(
        'kind = "local"\n', 'kind = "local"\ndb_instance = "invapp-dev-postgres"\n')
    with pytest.raises(ConfigError) as caught:
        topology_mod.parse(text, "dev-points-at-prod.toml")
    check.note(caught.value.render())
    assert key in str(caught.value), str(caught.value)
