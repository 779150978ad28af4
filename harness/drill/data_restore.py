"""Drill step 4 and Layer-2 cleanup: repoint the application at a restored instance, and
remove everything a drill created (pass, fail or killed).

``DataDrill`` owns one drill's data-path work on one tier; ``reap`` removes what any drill
left behind, and is what ``harness cleanup`` runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import naming
from harness.clock import utcnow
from harness.errors import HarnessError
from harness.io.aws import rds
from harness.io.aws import secrets as db_secret
from harness.io.db import fingerprint as fp
from harness.migrations.discovery import Migration, load
from harness.migrations.runner import BOOKKEEPING_TABLE, applied_versions, apply_up
from harness.rollback import restore
from harness.rollback.datacheck import CANARY_TABLE, Fingerprint
from harness.rollback.layer2 import Layer2Result, roll_back_data
from harness.rollback.recovery import ServiceRecovery, service, swap_and_verify
from harness.world import World


def repoint_app(world: World, tier: str, host: str, port: int | None,
                *, name: str = "repoint") -> restore.Repointed:
    """Point the DB-host secret at ``host``, force a new deployment of the running revision
    (tasks read the secret when they start) and wait until deep health is ok on it."""
    db_secret.write_db_host(world, tier, host, port)
    current = service(world, tier).current()
    started = time.monotonic()
    recovery = swap_and_verify(world, tier, current, name=name)
    healthy_at = started + recovery.measurement.seconds if recovery.recovered else None
    return restore.Repointed(recovery.recovered, f"{host}: {recovery.summary()}", healthy_at)


@dataclass(frozen=True)
class Reaped:
    tier: str
    removed: rds.Removed
    canaries: int | None  # None = the source database was not reachable to clean
    repointed_back: str | None
    errors: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        out = [f"repointed {self.tier} back to {self.repointed_back}"] if self.repointed_back else []
        out += [f"deleted restored instance {i}" for i in self.removed.instances]
        out += [f"deleted snapshot {s}" for s in self.removed.snapshots]
        if self.canaries:
            out.append(f"removed {self.canaries} canary row(s)")
        out += [f"NOT cleaned: {e}" for e in self.errors]
        return out or [f"nothing tagged by a drill was left on tier {self.tier}"]


def reap(world: World, tier: str, drill_id: str | None = None) -> Reaped:
    """Remove what a drill (``drill_id``, or every drill) created on ``tier``: first point
    the application back at the tier's own instance if the secret names a drill's restored
    instance, then delete restored instances and snapshots, then the canary rows. Each part
    is attempted whatever happened to the one before; what failed is listed in ``errors``
    (a restored instance the application may still use is never deleted)."""
    errors: list[str] = []
    back: str | None = None
    removed = rds.Removed(tier, (), ())
    try:
        back = _repoint_back_if_needed(world, tier, drill_id)
        unsure = False
    except HarnessError as exc:
        errors.append(f"repoint back: {exc.what}; restored instances kept")
        unsure = True
    try:
        removed = rds.remove_drill_resources(world, tier, drill_id, keep_instances=unsure)
    except HarnessError as exc:
        errors.append(f"drill snapshots and instances: {exc.what}")
    canaries: int | None = None
    try:
        canaries = fp.remove_canaries(world.databases.source_dsn(world.tier(tier)), drill_id)
    except HarnessError as exc:
        errors.append(f"canary rows (source database unreachable): {exc.what}")
    return Reaped(tier, removed, canaries, back, tuple(errors))


def _repoint_back_if_needed(world: World, tier: str, drill_id: str | None) -> str | None:
    t = world.tier(tier)
    if not (t.db_host_secret and t.db_instance):
        return None
    _, restored = rds.drill_resources(world, tier, drill_id)
    current = db_secret.read_db_host(world, tier)
    if not any(i.host == current.host for i in restored):
        return None
    own = rds.describe_instance(world, tier, t.db_instance)
    if own is None or not own.host:
        raise HarnessError(f"the DB-host secret of {tier} names a drill's restored instance and "
                           f"the tier's own instance {t.db_instance} has no endpoint",
                           fix="repoint the secret by hand before deleting the restored instance")
    outcome = repoint_app(world, tier, own.host, own.port, name="repoint back")
    if not outcome.healthy:
        raise HarnessError(f"repointing {tier} back to {own.host} did not become healthy: "
                           f"{outcome.detail}", fix="the restored instance was kept; check the app")
    return own.endpoint


@dataclass
class DataDrill:
    """One drill's snapshot, restore and repoint on ``tier``; ``cleanup`` always runs."""

    world: World
    tier: str
    drill_id: str
    fingerprint: Fingerprint | None = None
    snapshot: rds.Snapshot | None = None
    recovery: restore.DataRecovery | None = None
    _cleaned: bool = field(default=False, repr=False)

    @property
    def tags(self) -> dict[str, str]:
        return naming.drill_tags(self.drill_id, {naming.TAG_REASON: "rollback drill step 4"})

    def fingerprint_source(self) -> Fingerprint:
        self.fingerprint = restore.fingerprint_source(self.world, self.tier, self.drill_id)
        return self.fingerprint

    def take_snapshot(self) -> rds.Waited:
        self.snapshot, waited = restore.snapshot_source(self.world, self.tier, self.drill_id)
        return waited

    def write_after_row(self) -> None:
        restore.write_after_row(self.world, self.tier, self.drill_id)

    def restore(self, *, repoint: bool = True) -> restore.DataRecovery:
        assert self.snapshot is not None and self.fingerprint is not None, "snapshot first"
        instance = naming.restored_instance_identifier(
            self.world.tier(self.tier).db_instance or "", utcnow())
        self.recovery = restore.restore_and_verify(
            self.world, self.tier, self.snapshot.id, instance_id=instance,
            tags=self.tags, expected=self.fingerprint, drill_id=self.drill_id,
            repoint=(lambda inst: repoint_app(self.world, self.tier, inst.host or "", inst.port))
            if repoint else None)
        return self.recovery

    def cleanup(self) -> list[str]:
        if self._cleaned:
            return []
        self._cleaned = True
        return reap(self.world, self.tier, self.drill_id).lines()


# A rehearsal migration that touches only the harness's own canary table, so a Layer-2
# rehearsal is as safe on a real drill tier as in the sim.
_FORWARD = f"ALTER TABLE {CANARY_TABLE} ADD COLUMN rehearsal_note text;\n"
_DOWN = f"ALTER TABLE {CANARY_TABLE} DROP COLUMN rehearsal_note;\n"
_BROKEN_DOWN = f"ALTER TABLE {CANARY_TABLE} DROP COLUMN rehearsal_note_misspelt;\n"


@dataclass
class Layer2Rehearsal:
    """Layer 2 rehearsed on a drill tier: a pre-promotion snapshot, a migration applied
    after it, then the data rollback in the runbook's order."""

    drill: DataDrill
    directory: Path
    migration: Migration | None = None

    def snapshot(self) -> str:
        found = self.drill.fingerprint_source()
        waited = self.drill.take_snapshot()
        return f"source fingerprinted ({found.rows} rows); {waited.describe()}"

    def apply_migration(self) -> str:
        version = utcnow().strftime(naming.TIMESTAMP_FORMAT)
        self._write(f"{version}_harness_rehearsal.sql", _FORWARD)
        self._write(f"{version}_harness_rehearsal.down.sql", _DOWN)
        self.migration = load(self.directory).migrations[-1]
        applied = apply_up(self._dsn(), self.migration)
        return f"migration {applied.name} applied after the snapshot"

    def break_down(self) -> None:
        assert self.migration is not None and self.migration.down is not None
        self.migration.down.path.write_text(_BROKEN_DOWN, encoding="utf-8")
        self.migration = load(self.directory).migrations[-1]

    def corrupt_data(self) -> str:
        with fp.connect(self._dsn(), "source database") as conn:
            gone = conn.execute(f"DELETE FROM {CANARY_TABLE}").rowcount
        return f"{gone} row(s) of {CANARY_TABLE} lost, as a bad migration would lose them"

    def roll_back(self, app_revert: ServiceRecovery, *, data_corrupt: bool) -> Layer2Result:
        assert self.migration is not None and self.drill.snapshot is not None
        world, tier = self.drill.world, self.drill.tier
        return roll_back_data(
            world, tier, self.migration, app_revert=app_revert, data_corrupt=data_corrupt,
            snapshot_id=self.drill.snapshot.id,
            restore_instance_id=naming.restored_instance_identifier(
                world.tier(tier).db_instance or "", utcnow()),
            tags=self.drill.tags, expected=self.drill.fingerprint,
            repoint=lambda inst: repoint_app(world, tier, inst.host or "", inst.port))

    def migration_recorded(self) -> bool:
        assert self.migration is not None
        return self.migration.version in applied_versions(self._dsn())

    def restored_instances(self) -> list[str]:
        return [i.id for i in rds.drill_resources(self.drill.world, self.drill.tier,
                                                  self.drill.drill_id)[1]]

    def cleanup(self) -> list[str]:
        """Undo the rehearsal on the source (its _migrations row), then the drill's cleanup."""
        lines = []
        if self.migration is not None and self.migration_recorded():
            with fp.connect(self._dsn(), "source database") as conn:
                conn.execute(f"DELETE FROM {BOOKKEEPING_TABLE} WHERE version = %s",
                             (self.migration.version,))
            lines.append(f"removed rehearsal migration {self.migration.version} from "
                         f"{BOOKKEEPING_TABLE}")
        return self.drill.cleanup() + lines

    def _dsn(self) -> str:
        return self.drill.world.databases.source_dsn(self.drill.world.tier(self.drill.tier))

    def _write(self, name: str, text: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / name).write_text(text, encoding="utf-8")
