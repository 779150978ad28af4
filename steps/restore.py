"""Steps for the data path: drill step 4 (snapshot, restore to a new instance, validate,
repoint), the drill's acceptance verdict, and Layer-2 data rollback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from harness import interrupts
from harness.drill import acceptance
from harness.drill.data_restore import DataDrill, Layer2Rehearsal
from harness.errors import CheckFailed
from harness.evidence.journal import CheckRecord, Journal
from harness.io.aws import secrets as db_secret
from harness.rollback.datacheck import Fingerprint, table_rows
from harness.rollback.layer2 import Layer2Result
from harness.rollback.recovery import ServiceRecovery
from harness.rollback.restore import APP_HEALTHY, DataRecovery
from harness.runconfig import RunConfig
from harness.world import World

from .common import recorded as recorded_revert
from .drill import cleaned_up, undo_of


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The acceptance verdict reads what the other drill scenarios measured: it runs last."""
    items.sort(key=lambda item: item.get_closest_marker("acceptance") is not None)


@pytest.fixture
def data_drill(world: World, run_config: RunConfig, journal: Journal,
               check: CheckRecord) -> Iterator[DataDrill]:
    """The drill's data-path work on the target tier, undone afterwards pass or fail."""
    drill = DataDrill(world, run_config.tier, journal.run_id)
    yield drill
    with interrupts.undo(f"tier {run_config.tier}: drill {journal.run_id}'s restored instance and "
                         "snapshot, its canary rows, and the DB-host secret if it names the "
                         "copy") as go:
        if go:
            with undo_of(check):
                cleaned_up(check, drill.cleanup())


# --- drill step 4 -----------------------------------------------------------------------------

@given("the drill tier's data fingerprinted, with a canary row written", target_fixture="fingerprint")
def source_fingerprinted(data_drill: DataDrill, check: CheckRecord) -> Fingerprint:
    found = data_drill.fingerprint_source()
    check.note(f"source: {len(found.tables)} tables, {found.rows} rows, fingerprinted in {found.seconds:.2f} s")
    return found


@given("a snapshot of the drill tier's database that became available")
def snapshot_available(data_drill: DataDrill, check: CheckRecord) -> None:
    check.note(data_drill.take_snapshot().describe())


@given("a row written to the source after the snapshot")
def row_after_snapshot(data_drill: DataDrill) -> None:
    data_drill.write_after_row()


@when("the snapshot is restored to a new instance and the application is pointed at it", target_fixture="recovery")
def restored_and_repointed(data_drill: DataDrill, journal: Journal, check: CheckRecord) -> DataRecovery:
    return recorded(data_drill.restore(), data_drill.fingerprint, journal, check)


@then("the restored data matches the fingerprint, holds the canary and lacks the later row")
def copy_verified(recovery: DataRecovery, check: CheckRecord) -> None:
    assert recovery.verdict is not None and recovery.verdict.ok, recovery.reason
    check.note(f"restored copy: {recovery.verdict.summary()}")


@then("the application is healthy on the restored database")
def app_on_restored(world: World, data_drill: DataDrill, recovery: DataRecovery, check: CheckRecord) -> None:
    assert APP_HEALTHY in [p.name for p in recovery.measurement.phases], recovery.reason
    secret = db_secret.read_db_host(world, data_drill.tier)
    assert recovery.instance is not None and secret.host == recovery.instance.host, secret.host
    check.note(f"DB-host secret now names {secret.host}")


@then("the data RTO is within its target")
def data_rto_met(recovery: DataRecovery) -> None:
    m = recovery.measurement
    assert m.met, f"data RTO {m.seconds:.2f} s against {m.target_seconds} s: {m.note}"


def recorded(recovery: DataRecovery, expected: Fingerprint | None, journal: Journal,
             check: CheckRecord) -> DataRecovery:
    """The measurement and the fingerprint table go into the evidence before any verdict."""
    journal.record(recovery.measurement, check)
    if expected is not None:
        check.attach("data fingerprint: source vs restored copy", "table",
                     table_rows(expected, recovery.actual))
    check.note(recovery.measurement.note)
    recovery.raise_for_failure()
    return recovery


# --- acceptance -------------------------------------------------------------------------------

@given("the recovery times this drill measured", target_fixture="rto_findings")
def rtos_measured(journal: Journal) -> dict[str, acceptance.RtoFinding]:
    return {f.name: f for f in acceptance.findings(journal)}


@then(parsers.parse("the {name} was measured and met"))
def rto_met(rto_findings: dict[str, acceptance.RtoFinding], name: str, check: CheckRecord) -> None:
    finding = rto_findings[name]
    check.note(finding.describe())
    if not finding.met:
        raise CheckFailed(finding.describe(), fix="the drill is not accepted until both RTOs are met")


# --- Layer-2 data rollback --------------------------------------------------------------------

@pytest.fixture
def layer2(world: World, run_config: RunConfig, journal: Journal, check: CheckRecord,
           tmp_path: Path) -> Iterator[Layer2Rehearsal]:
    """A Layer-2 rehearsal on the run's tier; what it restores is removed afterwards."""
    rehearsal = Layer2Rehearsal(DataDrill(world, run_config.tier, journal.run_id), tmp_path)
    yield rehearsal
    with undo_of(check):
        summary, lines = rehearsal.cleanup()
        for line in lines:
            check.note(f"cleanup: {line}")
        cleaned_up(check, summary)


@given("the tier's data fingerprinted and a pre-promotion snapshot taken")
def pre_promotion_snapshot(layer2: Layer2Rehearsal, check: CheckRecord) -> None:
    check.note(layer2.snapshot())


@given("a migration applied to the tier's database after the snapshot")
def migration_applied(layer2: Layer2Rehearsal, check: CheckRecord) -> None:
    check.note(layer2.apply_migration())


@given("the application reverted to the revision it ran before", target_fixture="app_revert")
def app_reverted(layer2: Layer2Rehearsal, journal: Journal, check: CheckRecord) -> ServiceRecovery:
    return recorded_revert(journal, check, layer2.drill.revert_app(
        f"Layer-2 rehearsal {journal.run_id}: application first"))


@given("the migration's down migration fails")
def down_fails(layer2: Layer2Rehearsal) -> None:
    layer2.break_down()


@given("the migration corrupted data")
def data_corrupted(layer2: Layer2Rehearsal, check: CheckRecord) -> None:
    check.note(layer2.corrupt_data())


@when("the data rollback runs", target_fixture="layer2_result")
def data_rollback(layer2: Layer2Rehearsal, app_revert: ServiceRecovery, journal: Journal, check: CheckRecord) -> Layer2Result:
    return layer2_recorded(layer2.roll_back(app_revert, data_corrupt=False), layer2, journal, check)


@when("the data rollback runs for data that is already corrupt", target_fixture="layer2_result")
def data_rollback_corrupt(layer2: Layer2Rehearsal, app_revert: ServiceRecovery, journal: Journal, check: CheckRecord) -> Layer2Result:
    return layer2_recorded(layer2.roll_back(app_revert, data_corrupt=True), layer2, journal, check)


@then("the down migration was applied and its _migrations row cleared")
def down_applied(layer2: Layer2Rehearsal, layer2_result: Layer2Result) -> None:
    assert layer2_result.path == "down", layer2_result.steps
    assert layer2.migration_recorded() is False, "_migrations still lists the migration"


@then("no snapshot was restored")
def nothing_restored(layer2: Layer2Rehearsal, layer2_result: Layer2Result) -> None:
    assert layer2_result.recovery is None and layer2.restored_instances() == []


@then("the down migration was tried first and failed")
def down_tried_and_failed(layer2_result: Layer2Result) -> None:
    assert layer2_result.down_error is not None, layer2_result.steps
    assert layer2_result.steps[1].startswith("decision: down") and "FAILED" in layer2_result.steps[2]


@then("the down migration was not tried")
def down_not_tried(layer2: Layer2Rehearsal, layer2_result: Layer2Result) -> None:
    assert layer2_result.down_error is None and layer2_result.steps[1].startswith("decision: restore")
    assert layer2.migration_recorded() is True, "the down ran although the data was corrupt"


@then("the snapshot was restored to a new instance holding the data as it was before the migration")
def restored_as_before(layer2_result: Layer2Result) -> None:
    recovery = layer2_result.recovery
    assert recovery is not None and recovery.verdict is not None and recovery.verdict.ok, layer2_result.steps


@then("the application is healthy on the restored instance")
def app_on_restored_instance(world: World, layer2: Layer2Rehearsal, layer2_result: Layer2Result) -> None:
    recovery = layer2_result.recovery
    assert recovery is not None and recovery.instance is not None and recovery.succeeded
    assert db_secret.read_db_host(world, layer2.drill.tier).host == recovery.instance.host


def layer2_recorded(result: Layer2Result, layer2: Layer2Rehearsal, journal: Journal,
                    check: CheckRecord) -> Layer2Result:
    for line in result.steps:
        check.note(line)
    if result.recovery is not None:
        recorded(result.recovery, layer2.drill.fingerprint, journal, check)
    return result
