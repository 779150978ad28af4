"""The promotion gate: what one gate run is about (cycle, validated SHA, prod's SHA, the
migrations, billing) and each checklist item evaluated as an ``ItemResult`` (status, one-line
reason, a link or id, details). Steps record the results; the CLI folds them into one verdict.

The gate only reads, except the pre-promotion snapshot under ``--take-snapshot`` (a prod write
behind the tier guard and ``--allow-prod-write``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from harness import naming
from harness.clock import utcnow
from harness.errors import ConfigError
from harness.gate import billing, webhook
from harness.gate.billing import BillingDecision
from harness.gate.migrations import CycleMigrations
from harness.gate.migrations import read_cycle as read_migrations
from harness.gate.smoke import SmokeSource, smoke_for
from harness.gate.types import GateOptions, GateRun, ItemResult, ItemStatus
from harness.io.aws import rds
from harness.io.aws.ecs import EcsService
from harness.io.http.github_actions import GitHubSmoke
from harness.io.http.health import HealthClient, basic_auth_header
from harness.migrations.discovery import MigrationPattern
from harness.topology import Tier, Topology
from harness.world import World

# --- item 1: staging deep health ----------------------------------------------------------------

def staging_health(tier: Tier) -> ItemResult:
    probe = HealthClient(tier).deep_health()
    link = ("deep health", probe.url)
    if probe.ok:
        return ItemResult("passed", f"deep health ok (HTTP {probe.status_code} in "
                                    f"{probe.elapsed_s:.2f} s)", link)
    if probe.failure == "credentials-rejected":
        return ItemResult("failed", f"credentials rejected, health unknown: {probe.detail}", link,
                          fix=f"check ${tier.basic_auth_user_env} / ${tier.basic_auth_password_env}")
    return ItemResult("failed", f"staging is not healthy ({probe.failure}): {probe.detail}", link,
                      fix="look at staging's logs and its deep-health checks before promoting")


# --- item 2: smoke green for the validated SHA --------------------------------------------------

def smoke_source(topology: Topology, tier: Tier) -> SmokeSource:
    """The tier's configured smoke source (GitHub Actions, a command, or the built-in one)."""
    if tier.smoke_kind == "github":
        return GitHubSmoke(tier, topology.gate.github_api_url)
    return smoke_for(tier)


def smoke(topology: Topology, tier: Tier, sha: str) -> ItemResult:
    source = smoke_source(topology, tier)
    result = source.run(sha)
    link = ("smoke run", result.link) if result.link else None
    if result.passed:
        return ItemResult("passed", f"{source.name}: {result.summary}", link)
    failing = "; ".join(result.failures[:3])
    return ItemResult("failed", f"smoke not green for {sha[:12]} ({source.name}): {result.summary}",
                      link, details=tuple(result.failures),
                      fix=f"fix what failed ({failing}) and re-run the smoke suite"
                      if failing else "re-run the smoke suite for this SHA")


# --- item 5: Stripe webhook idempotency ---------------------------------------------------------

def webhook_idempotency(tier: Tier, dsn: str, decision: BillingDecision, *,
                        label: str, env: Mapping[str, str] | None = None) -> ItemResult:
    if not decision.touched:
        return ItemResult("not_applicable", f"not applicable: {decision.reason}")
    if not tier.has_webhook or tier.webhook_processed_query is None:
        return ItemResult("failed", f"the cycle touches billing ({decision.reason}) but tier "
                                    f"'{tier.name}' has no webhook configured",
                          fix="set webhook_path, webhook_secret_env and webhook_processed_query "
                              f"under [tiers.{tier.name}]")
    url = webhook.webhook_url(tier)
    result = webhook.check_idempotent(url, webhook.signing_secret(tier, env), dsn,
                                      tier.webhook_processed_query, label=label,
                                      authorization=basic_auth_header(
                                          tier, os.environ if env is None else env),
                                      tls_verify=tier.tls_verify)
    details = (f"billing: {decision.reason}",
               *(f"delivery {i}: HTTP {d.status} in {d.seconds:.2f} s"
                 for i, d in enumerate(result.deliveries, 1)),
               f"processed count: {result.processed}")
    status: ItemStatus = "passed" if result.ok else "failed"
    return ItemResult(status, result.reason, ("test event", result.event_id), details,
                      fix=None if result.ok else
                      "make the handler skip an event id it has already processed")


# --- item 6: the pre-promotion prod snapshot ----------------------------------------------------

def console_link(region: str, snapshot_id: str) -> str:
    return (f"https://{region}.console.aws.amazon.com/rds/home?region={region}"
            f"#db-snapshot:engine=postgres;id={snapshot_id}")


def prod_snapshot(world: World, tier: str, cycle: str, *, take: bool, interval_s: float,
                  deadline_s: float) -> ItemResult:
    """Find (or, with ``take``, take and wait for) the cycle's pre-promotion snapshot."""
    region = world.topology.region
    template = world.topology.snapshot_template
    details: list[str] = []
    if take:
        name = naming.snapshot_identifier(template, cycle, utcnow())
        taken = rds.take_snapshot(world, tier, name, {naming.TAG_CYCLE: cycle,
                                                      naming.TAG_CREATED_BY: naming.CREATED_BY,
                                                      naming.TAG_REASON: "pre-promotion"})
        waited = rds.wait_available(world, tier, taken.id, deadline_s=deadline_s,
                                    interval_s=interval_s)
        details.append(f"took {taken.id}; {waited.describe()}")
    found = rds.find_pre_promotion_snapshot(world, tier, cycle)
    expected = template.format(timestamp="<YYYYmmddHHMMSS>", cycle=naming.identifier_part(cycle))
    if found is None:
        return ItemResult("failed", f"no pre-promotion snapshot of {world.tier(tier).db_instance} "
                                    f"for cycle {cycle} (expected a manual snapshot named like "
                                    f"{expected})", details=tuple(details),
                          fix="take it: harness gate ... --take-snapshot --allow-prod-write "
                              "(or the runbook's create-db-snapshot command)")
    link = (found.id, console_link(region, found.id))
    details.append(f"snapshot {found.id} ({found.snapshot_type}), status {found.status}, "
                   f"created {found.created_at or '-'}")
    if found.status != rds.AVAILABLE:
        return ItemResult("failed", f"pre-promotion snapshot {found.id} is '{found.status}', "
                                    "not available yet", link, tuple(details),
                          fix="wait until it is available, then re-run the gate")
    return ItemResult("passed", f"snapshot {found.id} is available", link, tuple(details))


# --- resolving the run, and the items that need more than one input ------------------------------

def resolve_run(world: World, cycle: str | None, sha: str | None, options: GateOptions,
                sim_cycle: SimCycleLike | None) -> GateRun:
    """Fill in what was not given: in the sim, the sim's cycle; on real accounts the cycle and
    SHA are required and prod's SHA is read from what prod runs."""
    notes: list[str] = []
    topology = world.topology
    prod = topology.prod
    prod_sha: str | None
    if sim_cycle is not None:
        if sha is None:
            notes.append(f"validated SHA {sim_cycle.sha[:12]}: the SHA the sim's staging runs "
                         "and smoked (no --sha given)")
        cycle, sha = cycle or sim_cycle.cycle, sha or sim_cycle.sha
        prod_sha = options.prod_sha or sim_cycle.prod_sha
        migrations_dir = options.migrations_dir or sim_cycle.migrations_dir
        changed = sim_cycle.changed_files if options.repo is None else None
    else:
        if not cycle or not sha:
            raise ConfigError("the gate needs the cycle and the validated SHA",
                              fix="pass --cycle CYCLE --sha SHA")
        prod_sha = options.prod_sha
        if prod_sha is None and prod is not None and options.billing is None:
            prod_sha = EcsService(world.client(prod.name, "ecs"), prod).current().sha
            if prod_sha:
                notes.append(f"prod's SHA {prod_sha[:12]} read from its running task definition")
        base = options.repo or Path.cwd()
        migrations_dir = options.migrations_dir or base / topology.migrations.dir
        changed = None
    return GateRun(cycle=cycle, sha=sha, prod_sha=prod_sha, options=options,
                   migrations_dir=migrations_dir, changed_files=changed, notes=tuple(notes))


class SimCycleLike(Protocol):
    """What the sim tells the gate about the cycle it staged."""

    cycle: str
    sha: str
    prod_sha: str
    migrations_dir: Path
    changed_files: tuple[str, ...]


def _prod(world: World) -> Tier:
    prod = world.topology.prod
    if prod is None:
        raise ConfigError("the topology has no production tier",
                          fix="mark the production tier with production = true")
    return prod


def read_cycle(world: World, run: GateRun) -> CycleMigrations:
    if run.migrations_dir is None or not run.migrations_dir.is_dir():
        raise ConfigError(f"no migrations directory at {run.migrations_dir}",
                          fix="pass --migrations DIR (or --repo PATH holding migrations.dir)")
    m = world.topology.migrations
    pattern = MigrationPattern(forward_pattern=m.forward_pattern, down_suffix=m.down_suffix)
    return read_migrations(run.migrations_dir, pattern, world.databases.source_dsn(_prod(world)),
                world.databases.source_dsn(world.tier("staging")))


def billing_decision(world: World, run: GateRun) -> BillingDecision:
    globs = world.topology.gate.billing_globs
    if run.options.billing is None and run.changed_files is not None:
        found = billing.matches(list(run.changed_files), globs)
        reason = (f"{len(found)} of {len(run.changed_files)} file(s) the sim's cycle changed "
                  f"touch billing: {', '.join(f for f, _ in found)}" if found else
                  f"none of the {len(run.changed_files)} file(s) the sim's cycle changed touch "
                  "billing")
        return BillingDecision(bool(found), reason, found)
    return billing.decide(explicit=run.options.billing, repo=run.options.repo,
                          prod_sha=run.prod_sha, sha=run.sha, globs=globs)


def webhook_item(world: World, run: GateRun, decision: BillingDecision) -> ItemResult:
    staging = world.tier("staging")
    if not decision.touched:
        return webhook_idempotency(staging, "", decision, label=run.cycle)
    return webhook_idempotency(staging, world.databases.source_dsn(staging), decision,
                               label=f"cycle {run.cycle}")


def snapshot_item(world: World, run: GateRun) -> ItemResult:
    interval, deadline = (0.1, 10.0) if world.simulated else (15.0, world.topology.data_rto_s)
    return prod_snapshot(world, _prod(world).name, run.cycle, take=run.options.take_snapshot,
                         interval_s=interval, deadline_s=deadline)
