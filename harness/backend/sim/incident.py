"""The data incident the sim stages for `harness rollback data` (Layer 2): on the tier's
database, the migrations prod had before the promotion; the pre-promotion snapshot, named
and tagged as `harness promote` takes it; then the cycle's migrations up to the one to take
back (the promotion applied them). Two faults make the other paths of the runbook:
``down-migration-fails`` (the migration's down names a column that does not exist, so it
fails at run time) and ``migration-lost-data`` (the migration deleted rows, as a bad one
would)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from harness import naming
from harness.backend.sim.gate_cycle import CYCLE, PROD_HEAD, migrations_dir
from harness.clock import utcnow
from harness.errors import ConfigError
from harness.migrations.discovery import discover
from harness.migrations.runner import applied_versions, apply_up
from harness.world import World

BROKEN_DOWN = ("-- sim fault down-migration-fails: names a column that does not exist.\n"
               "ALTER TABLE documents DROP COLUMN harness_sim_no_such_column;\n")
LOSE_ROWS = "DELETE FROM documents WHERE id % 10 = 0"


@dataclass(frozen=True)
class SimIncident:
    migrations_dir: Path
    snapshot_id: str
    note: str


class IncidentStage:
    """Stages each (tier, migration) once per world; the migration files live in a temporary
    folder removed when the sim stops."""

    def __init__(self, faults: frozenset[str]) -> None:
        self.faults = faults
        self._tmp = Path(tempfile.mkdtemp(prefix="harness-incident-sim-"))
        self._staged: dict[tuple[str, str], SimIncident] = {}

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    def stage(self, world: World, tier: str, version: str) -> SimIncident:
        t = world.tier(tier)
        dsn = world.databases.source_dsn(t)
        done = set(applied_versions(dsn))
        staged = self._staged.get((tier, version))
        if staged is not None and version in done:
            return staged  # this world already holds it (e.g. a --plan, then the run)
        folder = self._tmp / f"{tier}-{version}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        directory = migrations_dir(frozenset(), folder)
        found = discover(directory).migrations
        cycle = [m for m in found if m.version > PROD_HEAD]
        if version not in {m.version for m in cycle}:
            raise ConfigError(f"the sim stages an incident for one of its cycle's migrations "
                              f"({', '.join(m.version for m in cycle)}); {version} is not one",
                              fix=f"pass e.g. --migration {cycle[-1].version}")
        for m in found:
            if m.version <= PROD_HEAD and m.version not in done:
                apply_up(dsn, m)
        snapshot = naming.snapshot_identifier(world.topology.snapshot_template, CYCLE, utcnow())
        assert t.db_instance
        # Set-up of the rehearsal, not an operation under test: straight to the sim's RDS.
        world.client(tier, "rds").create_db_snapshot(
            DBInstanceIdentifier=t.db_instance, DBSnapshotIdentifier=snapshot,
            Tags=naming.rds_tags({naming.TAG_CREATED_BY: naming.CREATED_BY,
                                  naming.TAG_CYCLE: CYCLE,
                                  naming.TAG_REASON: "sim: the pre-promotion snapshot"}))
        for m in cycle:
            if m.version <= version and m.version not in done:
                apply_up(dsn, m)
        said = [f"snapshot {snapshot} taken, then the cycle's migrations up to {version} "
                f"applied on tier {tier}"]
        if "migration-lost-data" in self.faults:
            with psycopg.connect(dsn) as conn:
                lost = conn.execute(LOSE_ROWS).rowcount
            said.append(f"the migration lost {lost} documents row(s) (sim fault "
                        "migration-lost-data)")
        if "down-migration-fails" in self.faults:
            target = next(m for m in cycle if m.version == version)
            assert target.down is not None
            target.down.path.write_text(BROKEN_DOWN, encoding="utf-8")
            said.append(f"its down {target.down.path.name} fails (sim fault "
                        "down-migration-fails)")
        incident = SimIncident(directory, snapshot, "sim incident: " + "; ".join(said))
        self._staged[(tier, version)] = incident
        return incident
