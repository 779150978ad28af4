"""The promotion gate's run: what one evaluation is about (cycle, validated SHA, prod's SHA,
the migrations, whether billing was touched), resolved once before the items are evaluated
(``harness.gate.items``). The gate only reads, except the pre-promotion snapshot under
``--take-snapshot`` (a prod write behind the tier guard and ``--allow-prod-write``).
"""

from __future__ import annotations

from pathlib import Path

from harness.backend.base import StagedCycle
from harness.errors import ConfigError
from harness.gate import billing
from harness.gate.billing import BillingDecision
from harness.gate.items.migrations import CycleMigrations
from harness.gate.items.migrations import read_cycle as read_migrations
from harness.gate.types import GateOptions, GateRun
from harness.io.aws.ecs import EcsService
from harness.migrations.discovery import MigrationPattern
from harness.topology import Tier
from harness.world import World


def resolve_run(world: World, cycle: str | None, sha: str | None, options: GateOptions,
                sim_cycle: StagedCycle | None) -> GateRun:
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
            prod_sha = EcsService(world, prod.name).current().sha
            if prod_sha:
                notes.append(f"prod's SHA {prod_sha[:12]} read from its running task definition")
        base = options.repo or Path.cwd()
        migrations_dir = options.migrations_dir or base / topology.migrations.dir
        changed = None
    return GateRun(cycle=cycle, sha=sha, prod_sha=prod_sha, options=options,
                   migrations_dir=migrations_dir, changed_files=changed, notes=tuple(notes))


def prod_tier(world: World) -> Tier:
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
    return read_migrations(run.migrations_dir, pattern, world.databases.source_dsn(prod_tier(world)),
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
