"""`harness rollback data` (Layer 2) as a command in the sim: its three paths (the down works;
the down fails, so the snapshot is restored; the data is corrupt, so the snapshot is
restored at once) each with its evidence, `--plan` changing nothing (inventory of every
account and the database before and after), and each of its checks seen failing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from session_command import on_session_sim, use_session_sim

from harness.backend.sim import SimBackend
from harness.backend.sim.gate_cycle import FailingDatabase
from harness.backend.sim.incident import LOSE_ROWS
from harness.cli import main as cli
from harness.errors import CheckFailed, ConfigError
from harness.io.db import fingerprint as fp
from harness.migrations.runner import applied_at
from harness.promote.inventory import inventory
from harness.rollback import data
from harness.rollback.phases import DATA_FEATURE, PhaseLog
from harness.world import World

pytestmark = pytest.mark.sim_only
V = "20260601090000"  # the sim cycle's add_document_status
DOCUMENTS = "public.documents"


@pytest.fixture
def sim(sim_backend: SimBackend, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimBackend]:
    """Commands in this test run on the session's sim; its knobs are put back afterwards."""
    with on_session_sim(monkeypatch, sim_backend) as sim:
        yield sim


def command(capsys: pytest.CaptureFixture[str], reports: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    code = cli.main(["rollback", "data", "--migration", V, "--reason", "INC-42 documents lost",
                     "--by", "oncall", "--sim-rollout-latency", "0.2", "--reports", str(reports),
                     *args])
    out = capsys.readouterr().out
    latest = reports / "latest" / "evidence.json"
    return code, out, json.loads(latest.read_text()) if latest.exists() else {}


def statuses(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["name"].split(" ")[0], c["status"]) for c in doc["checks"]]


def documents(doc: dict[str, Any]) -> int:
    """Rows of documents in the restored copy, from the evidence's table."""
    table = next(a for c in doc["checks"] for a in c["attachments"]
                 if a["name"].startswith("restored copy"))
    return next(int(row[1]) for row in table["content"]["rows"] if row[0] == DOCUMENTS)


def test_the_down_works_and_nothing_is_restored(sim: SimBackend, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, doc = command(capsys, tmp_path)
    assert code == 0, out
    assert out.splitlines()[0].startswith("ROLLBACK PASS [SIMULATED]")
    assert statuses(doc) == [("application", "passed"), ("down", "passed"),
                             ("application", "passed")]
    record = doc["decision"]["rollback"]
    assert (record["layer"], record["migration"], record["data_path"], record["ordered_by"]) == \
        ("data", V, "down", "oncall")
    assert doc["decision"]["snapshot_id"] is None and doc["checks"][0]["feature"] == DATA_FEATURE
    rto = doc["measurements"][0]
    assert rto["name"] == "data RTO" and rto["met"] and [p["name"] for p in rto["phases"]] == \
        ["down issued", "down applied", "first healthy"]
    assert "taken back on staging by its down" in doc_outcome(tmp_path)
    world = World(sim)
    assert V not in applied_at(world.databases.source_dsn(world.tier("staging")))
    assert not any(i.id.startswith("invapp-staging-postgres-restore") for i in _instances(world))


def test_a_failing_down_falls_back_to_the_snapshot(sim: SimBackend, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, doc = command(capsys, tmp_path, "--sim-fault", "down-migration-fails")
    assert code == 0, out
    assert statuses(doc) == [("application", "passed"), ("down", "passed"),
                             ("snapshot", "passed")]
    assert "FAILED, falling back to the snapshot restore" in doc["checks"][1]["detail"]
    assert "harness_sim_no_such_column" in doc["checks"][1]["detail"]
    record, decision = doc["decision"]["rollback"], doc["decision"]
    assert record["data_path"] == "restore" and decision["snapshot_id"].endswith("sim-cycle-1")
    rto = doc["measurements"][0]
    # The data RTO starts at the down that failed, not at the restore call after it.
    names = [p["name"] for p in rto["phases"]]
    assert names[:2] == ["down issued", "down failed"] and names[-1] == "repointed app healthy"
    assert rto["met"] and rto["subject"].startswith("invapp-staging-postgres-restore-")
    world = World(sim)
    assert _secret_host(world).startswith(rto["subject"])
    assert "after its down failed" in doc_outcome(tmp_path)


def test_corrupt_data_goes_straight_to_the_snapshot_and_gets_the_rows_back(
        sim: SimBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, doc = command(capsys, tmp_path, "--data-corrupt", "--sim-fault",
                             "migration-lost-data")
    assert code == 0, out
    assert statuses(doc) == [("application", "passed"), ("snapshot", "passed")]
    assert "decision: restore (the data is already corrupt" in doc["checks"][0]["detail"]
    world = World(sim)
    source = world.databases.source_dsn(world.tier("staging"))
    lost = next(t.rows for t in fp.fingerprint(source, "source").tables if t.table == DOCUMENTS)
    assert (lost, documents(doc)) == (1800, 2000)  # the restored copy has the lost rows
    assert V in applied_at(source)  # the down was not run on corrupt data


def test_plan_reads_only(sim: SimBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    sim.reset()
    world = World(sim)
    sim.stage_data_incident(world, "prod", V)  # what the command stages first, done before
    use_session_sim(monkeypatch, sim, reset=False)
    before = _everything(world)
    code, out, _ = command(capsys, tmp_path, "--plan", "--tier", "prod")  # no write flag
    assert code == 0, out
    assert "decision: down" in out and "nothing was changed" in out
    assert "only if the down fails: restore the snapshot below" in out
    assert _everything(world) == before
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


@pytest.fixture
def staged(sim: SimBackend) -> World:
    sim.reset()
    world = World(sim, allow_prod_write=False)
    sim.stage_data_incident(world, "staging", V)
    return world


def plan_for(world: World, **kwargs: Any) -> data.DataPlan:
    incident = world.backend.rehearsal.stage_data_incident(world, "staging", V)  # type: ignore[union-attr]
    return data.make_plan(world, data.DataRequest(
        tier="staging", version=V, reason="INC-1", migrations_dir=incident.migrations_dir,
        **kwargs))


def test_the_application_must_be_healthy_first(staged: World, sim: SimBackend) -> None:
    plan = plan_for(staged)
    healthy = sim.apps["staging"].database
    sim.attach_database("staging", FailingDatabase())
    log = PhaseLog(DATA_FEATURE)
    try:
        with pytest.raises(CheckFailed, match="roll the application back first"):
            data.run(staged, plan, log)
    finally:
        sim.attach_database("staging", healthy)
    assert [p.check.name for p in log.phases] == [data.APP_FIRST] and log.failed is not None
    assert V in applied_at(staged.databases.source_dsn(staged.tier("staging")))


def test_a_restore_that_never_becomes_available_fails_its_phase(staged: World,
                                                                 sim: SimBackend) -> None:
    plan = plan_for(staged, data_corrupt=True)
    sim.dataplane.faults = frozenset({"restore-fails"})
    try:
        result = data.run(staged, plan, PhaseLog(DATA_FEATURE))
    finally:
        sim.dataplane.faults = frozenset()
    assert result.path is None and result.recovery is not None
    assert result.recovery.failed_phase == "restored instance available"
    assert result.measurement is not None and not result.measurement.completed


def test_a_copy_that_still_lists_the_migration_is_not_repointed_at(staged: World) -> None:
    check = data._copy_without(V)
    source = staged.databases.source_dsn(staged.tier("staging"))
    with pytest.raises(CheckFailed, match="snapshot was taken after the migration"):
        check(source)  # the source lists it: as a snapshot taken after the promotion would
    assert "without 20990101000000" in data._copy_without("20990101000000")(source)


def test_what_cannot_be_taken_back_is_refused_before_anything_runs(staged: World) -> None:
    source = staged.databases.source_dsn(staged.tier("staging"))
    folder = plan_for(staged).request.migrations_dir
    with pytest.raises(ConfigError, match="not in _migrations"):
        data.make_plan(staged, data.DataRequest(tier="staging", version="20260602120000",
                                                reason="INC-1", migrations_dir=folder))
    with pytest.raises(ConfigError, match="no migration 20990101000000"):
        data.make_plan(staged, data.DataRequest(tier="staging", version="20990101000000",
                                                reason="INC-1", migrations_dir=folder))
    with psycopg.connect(source) as conn:
        conn.execute("INSERT INTO _migrations (version, name) VALUES ('20270101000000', 'later')")
    with pytest.raises(ConfigError, match=r"applied after 20260601090000.*20270101000000"):
        plan_for(staged)
    with psycopg.connect(source) as conn:
        conn.execute("DELETE FROM _migrations WHERE version = '20270101000000'")
    with pytest.raises(ConfigError, match="does not exist"):
        plan_for(staged, snapshot_id="no-such-snapshot")
    with pytest.raises(ConfigError, match="needs a reason"):
        data.make_plan(staged, data.DataRequest(tier="staging", version=V, reason=" ",
                                                migrations_dir=folder))


def test_a_snapshot_taken_after_the_migration_is_refused(staged: World) -> None:
    t = staged.tier("staging")
    staged.client("staging", "rds").create_db_snapshot(
        DBInstanceIdentifier=t.db_instance, DBSnapshotIdentifier="taken-after-the-migration")
    with pytest.raises(ConfigError, match="after migration 20260601090000 was applied"):
        plan_for(staged, snapshot_id="taken-after-the-migration")


def test_the_migration_lost_rows_in_the_source(staged: World) -> None:
    # The fault's statement really loses rows (the corrupt-data scenario depends on it).
    source = staged.databases.source_dsn(staged.tier("staging"))
    with psycopg.connect(source) as conn:
        assert conn.execute(LOSE_ROWS).rowcount == 200


def doc_outcome(reports: Path) -> str:
    return (reports / "latest" / "summary.md").read_text().splitlines()[2]


def _instances(world: World) -> list[Any]:
    from harness.io.aws import rds

    return rds.instances(world, "staging")


def _secret_host(world: World) -> str:
    from harness.io.aws import secrets

    return secrets.read_db_host(world, "staging").host


def _everything(world: World) -> tuple[bytes, dict[str, Any]]:
    """Every account's resources, and prod's and staging's databases (bookkeeping, data)."""
    dbs = {}
    for tier in ("staging", "prod"):
        dsn = world.databases.source_dsn(world.tier(tier))
        dbs[tier] = (applied_at(dsn), fp.fingerprint(dsn, tier).tables)
    return inventory(world), dbs
