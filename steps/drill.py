"""Steps for features/drill: the quarterly rollback drill."""

from __future__ import annotations

from pytest_bdd import given, then

from harness import guard
from harness.evidence import CheckRecord
from harness.runconfig import RunConfig
from harness.topology import Tier
from harness.world import World


@given("the drill's target tier", target_fixture="tier")
def drill_target(world: World, run_config: RunConfig) -> Tier:
    return world.tier(run_config.tier)


@then("the tier accepts drills and is not production")
def accepts_drills(tier: Tier) -> None:
    guard.check_drill_target(tier)


@then("the caller's account is the tier's account")
def caller_matches(world: World, tier: Tier, check: CheckRecord) -> None:
    account = world.caller_account(tier.name)
    check.note(f"caller account {account}, tier {tier.name} account {tier.account_id}")
    assert account == tier.account_id, f"caller {account} != tier account {tier.account_id}"


@then("the tier's ECS cluster exists")
def cluster_exists(world: World, tier: Tier, check: CheckRecord) -> None:
    clusters = world.client(tier.name, "ecs").describe_clusters(clusters=[tier.cluster])
    arns = [c["clusterArn"] for c in clusters["clusters"] if c["status"] == "ACTIVE"]
    assert arns, f"cluster {tier.cluster} not found in account {tier.account_id}"
    check.link("ECS cluster", arns[0])
