"""Steps for the data path: drill step 4 (snapshot, restore to a new instance, validate,
repoint), the drill's acceptance verdict, and Layer-2 data rollback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_bdd import given, parsers, then, when

from harness import acceptance
from harness.aws import secrets as db_secret
from harness.data_drill import DataDrill
from harness.datacheck import Fingerprint, table_rows
from harness.evidence import CheckRecord, Journal
from harness.restore import APP_HEALTHY, Recovery
from harness.runconfig import RunConfig
from harness.world import World


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The acceptance verdict reads what the other drill scenarios measured: it runs last."""
    items.sort(key=lambda item: item.get_closest_marker("acceptance") is not None)


@pytest.fixture
def data_drill(world: World, run_config: RunConfig, journal: Journal,
               check: CheckRecord) -> Iterator[DataDrill]:
    """The drill's data-path work on the target tier, cleaned up afterwards pass or fail."""
    drill = DataDrill(world, run_config.tier, journal.run_id)
    yield drill
    for line in drill.cleanup():
        check.note(f"cleanup: {line}")


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
def restored_and_repointed(data_drill: DataDrill, journal: Journal, check: CheckRecord) -> Recovery:
    return recorded(data_drill.restore(), data_drill.fingerprint, journal, check)


@then("the restored data matches the fingerprint, holds the canary and lacks the later row")
def copy_verified(recovery: Recovery, check: CheckRecord) -> None:
    assert recovery.verdict is not None and recovery.verdict.ok, recovery.reason
    check.note(f"restored copy: {recovery.verdict.summary()}")


@then("the application is healthy on the restored database")
def app_on_restored(world: World, data_drill: DataDrill, recovery: Recovery, check: CheckRecord) -> None:
    assert APP_HEALTHY in [p.name for p in recovery.measurement.phases], recovery.reason
    secret = db_secret.read_db_host(world, data_drill.tier)
    assert recovery.instance is not None and secret.host == recovery.instance.host, secret.host
    check.note(f"DB-host secret now names {secret.host}")


@then("the data RTO is within its target")
def data_rto_met(recovery: Recovery) -> None:
    m = recovery.measurement
    assert m.met, f"data RTO {m.seconds:.2f} s against {m.target_seconds} s: {m.note}"


def recorded(recovery: Recovery, expected: Fingerprint | None, journal: Journal,
             check: CheckRecord) -> Recovery:
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
    assert finding.met, finding.describe()
