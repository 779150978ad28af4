"""Layer-2 data rollback in the runbook's order: the application first runs a revision that
works with the current schema (Layer 1); then the migration's down is tried; the
pre-promotion snapshot is restored to a new instance only when the down fails, when there
is no down, or when the data is already corrupt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from harness.errors import CheckFailed, ConfigError
from harness.migrations.discovery import Migration
from harness.migrations.runner import Applied, MigrationFailed, applied_versions, apply_down
from harness.rollback import restore
from harness.rollback.datacheck import Fingerprint
from harness.rollback.recovery import ServiceRecovery
from harness.world import World

DataPath = Literal["down", "restore"]


@dataclass(frozen=True)
class DataPathChoice:
    path: DataPath
    why: str


def decide(*, data_corrupt: bool, reversible: bool) -> DataPathChoice:
    """The runbook's choice before anything is run. Pure."""
    if data_corrupt:
        return DataPathChoice("restore", "the data is already corrupt: a down cannot bring it back")
    if not reversible:
        return DataPathChoice("restore", "the migration has no down to run")
    return DataPathChoice("down", "the down migration is the surgical fix and is tried first")


@dataclass(frozen=True)
class DownOutcome:
    """The down migration tried: applied (its ``_migrations`` row cleared), or the error that
    sends the rollback to the snapshot restore."""

    migration: Migration
    applied: Applied | None
    error: str | None = None
    what: str | None = None

    def describe(self) -> str:
        if self.applied is None:
            return (f"down migration {self.migration.name} FAILED, falling back to the snapshot "
                    f"restore: {self.what}")
        return (f"down migration {self.migration.name} applied ({self.applied.statements} "
                f"statement(s), {self.applied.seconds:.2f} s); its _migrations row cleared")


def run_down(dsn: str, migration: Migration) -> DownOutcome:
    """Apply ``migration``'s down and check its ``_migrations`` row is gone. A down that
    fails is an outcome (the runbook falls back to the snapshot); a row left behind after a
    down that ran is a failed check."""
    try:
        applied = apply_down(dsn, migration)
    except (MigrationFailed, ConfigError) as exc:
        return DownOutcome(migration, None, exc.render(), exc.what)
    if migration.version in applied_versions(dsn):
        raise CheckFailed(f"the down of {migration.name} ran but _migrations still lists "
                          f"{migration.version}", fix="clear the row by hand")
    return DownOutcome(migration, applied)


@dataclass(frozen=True)
class Layer2Result:
    steps: tuple[str, ...]  # what was done, in order
    path: DataPath
    down_error: str | None
    recovery: restore.DataRecovery | None

    @property
    def succeeded(self) -> bool:
        return self.path == "down" or (self.recovery is not None and self.recovery.succeeded)


def roll_back_data(world: World, tier: str, migration: Migration, *, app_revert: ServiceRecovery,
                   data_corrupt: bool, snapshot_id: str, restore_instance_id: str,
                   tags: Mapping[str, str], expected: Fingerprint | None,
                   repoint: restore.Repoint | None) -> Layer2Result:
    """Run Layer 2 for ``migration`` on ``tier``. ``app_revert`` is the Layer-1 revert that
    must already have put the application on a schema-compatible revision."""
    if not app_revert.recovered:
        raise CheckFailed("Layer 2 starts only once the application runs a revision that works "
                          f"with the current schema; the Layer-1 revert did not recover: "
                          f"{app_revert.summary()}", fix="finish the Layer-1 rollback first")
    steps = [f"application reverted first: {app_revert.summary()}"]
    decision = decide(data_corrupt=data_corrupt, reversible=migration.reversible)
    steps.append(f"decision: {decision.path} ({decision.why})")
    down_error: str | None = None
    if decision.path == "down":
        down = run_down(world.databases.source_dsn(world.tier(tier)), migration)
        steps.append(down.describe())
        if down.applied is not None:
            return Layer2Result(tuple(steps), "down", None, None)
        down_error = down.error
    recovery = restore.restore_and_verify(
        world, tier, snapshot_id, instance_id=restore_instance_id, tags=tags,
        expected=expected, drill_id=None, repoint=repoint)
    steps.append(f"snapshot {snapshot_id} restored to new instance {restore_instance_id}: "
                 f"{recovery.measurement.note}")
    return Layer2Result(tuple(steps), "restore", down_error, recovery)
