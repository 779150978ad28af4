"""Drill step 4 and the Layer-2 rehearsal: repoint the application at a restored instance,
and undo everything a drill changed (pass, fail or killed).

``DataDrill`` owns one drill's data-path work on one tier. Before the repoint it records in the
tier's undo record where the DB-host secret and the service were; what it creates carries the
drill's tag; its cleanup is ``harness.undo.replay.replay``, the same replay `harness cleanup`
runs after a killed drill.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness import naming
from harness.clock import utcnow
from harness.io.aws import rds
from harness.io.aws import secrets as db_secret
from harness.io.db import fingerprint as fp
from harness.migrations.discovery import Migration, load
from harness.migrations.runner import BOOKKEEPING_TABLE, applied_versions, apply_up
from harness.rollback import layer1, restore
from harness.rollback.datacheck import CANARY_TABLE, Fingerprint
from harness.rollback.layer2 import Layer2Result, roll_back_data
from harness.rollback.recovery import ServiceRecovery, service, swap_and_verify
from harness.rollback.restore import Repointed
from harness.undo.replay import replay
from harness.undo.store import UndoLog
from harness.undo.summary import CleanupSummary
from harness.world import World


def repoint_app(world: World, tier: str, host: str, port: int | None,
                *, name: str = "repoint", undo: UndoLog | None = None) -> restore.Repointed:
    """Point the DB-host secret at ``host`` and start a new deployment of the running revision
    (a task reads the secret when it starts: until the new deployment replaced the old tasks,
    they keep the old database), then wait until that deployment completed and deep health is
    ok on it (and on ``host``, where the tier's deep health says which database it uses).
    With ``undo``, where the secret and the service were is recorded first."""
    current = service(world, tier).current()
    if undo is not None:
        before = db_secret.read_db_host(world, tier)
        undo.service(current.arn)
        undo.db_host(before.host, before.port)
    db_secret.write_db_host(world, tier, host, port)
    recovery = swap_and_verify(world, tier, current, name=name, expected_database=host)
    healthy_at = recovery.serving_at if recovery.recovered else None
    return restore.Repointed(recovery.recovered, f"{host}: {recovery.summary()}", healthy_at)


@dataclass
class DataDrill:
    """One drill's snapshot, restore and repoint on ``tier``; ``cleanup`` always runs."""

    world: World
    tier: str
    drill_id: str
    fingerprint: Fingerprint | None = None
    snapshot: rds.Snapshot | None = None
    recovery: restore.DataRecovery | None = None
    cleaned: CleanupSummary | None = None

    def __post_init__(self) -> None:
        self.undo = UndoLog(self.world, self.tier, self.drill_id, "drill")

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
            repoint=self.repoint if repoint else None)
        return self.recovery

    def repoint(self, instance: rds.DbInstance) -> Repointed:
        return repoint_app(self.world, self.tier, instance.host or "", instance.port,
                           undo=self.undo)

    def revert_app(self, reason: str) -> ServiceRecovery:
        """Layer 1 first (the Layer-2 rehearsal): recorded, then the default revert."""
        self.undo.service(service(self.world, self.tier).current_arn())
        return layer1.revert(self.world, self.tier, reason=reason)

    def cleanup(self) -> CleanupSummary:
        """Replay this drill's undo record and tags on the tier, every kind (once)."""
        if self.cleaned is None:
            self.cleaned = replay(self.world, self.tier, self.drill_id)
        return self.cleaned


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
            tags=self.drill.tags, expected=self.drill.fingerprint, repoint=self.drill.repoint)

    def migration_recorded(self) -> bool:
        assert self.migration is not None
        return self.migration.version in applied_versions(self._dsn())

    def restored_instances(self) -> list[str]:
        return [i.id for i in rds.drill_resources(self.drill.world, self.drill.tier,
                                                  self.drill.drill_id)[1]]

    def cleanup(self) -> tuple[CleanupSummary, list[str]]:
        """Undo the rehearsal on the source (its _migrations row), then the drill's cleanup."""
        lines = []
        if self.migration is not None and self.migration_recorded():
            with fp.connect(self._dsn(), "source database") as conn:
                conn.execute(f"DELETE FROM {BOOKKEEPING_TABLE} WHERE version = %s",
                             (self.migration.version,))
            lines.append(f"removed rehearsal migration {self.migration.version} from "
                         f"{BOOKKEEPING_TABLE}")
        return self.drill.cleanup(), lines

    def _dsn(self) -> str:
        return self.drill.world.databases.source_dsn(self.drill.world.tier(self.drill.tier))

    def _write(self, name: str, text: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / name).write_text(text, encoding="utf-8")
