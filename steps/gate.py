"""Steps for features/gate: the promotion gate, one scenario per checklist item."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_bdd import given, then, when

from harness.backend.base import Backend, StagedCycle
from harness.errors import CheckFailed
from harness.evidence.journal import CheckRecord, Decision, Journal
from harness.gate import billing
from harness.gate import run as gate
from harness.gate.items import migrations as gate_migrations
from harness.gate.items import smoke, snapshot, staging_health, webhook
from harness.gate.items.migrations import CycleMigrations
from harness.gate.types import GateOptions, GateRun, ItemResult
from harness.io.db.providers import PostgresServer
from harness.report.gate import SEQUENCING
from harness.runconfig import RunConfig
from harness.world import World


def record(check: CheckRecord, result: ItemResult) -> None:
    """Put an item's result into the evidence; a failed item fails the scenario."""
    __tracebackhide__ = True
    check.note(result.reason)
    for line in result.details:
        check.note(line)
    if result.link is not None:
        check.link(*result.link)
    if result.table:
        check.attach(SEQUENCING, "table", [dict(row) for row in result.table])
    if result.status == "not_applicable":
        check.status = "not_applicable"
    if result.status == "failed":
        raise CheckFailed(result.reason, fix=result.fix)


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sim_cycle(world: World, run_config: RunConfig) -> StagedCycle | None:
    """In a rehearsal world: the cycle it stages (migrations, smoke run, snapshot, webhook),
    with the faults asked for, for the cycle named on the command line (or its own). None on
    real accounts."""
    rehearsal = world.rehearsal
    return None if rehearsal is None else rehearsal.stage_gate_cycle(world, run_config.cycle)


@pytest.fixture(scope="session")
def gate_scratch_server(request: pytest.FixtureRequest, backend: Backend) -> PostgresServer:
    """Where the gate's scratch copies go: a rehearsal world's own server (no second start),
    else the local server the migration steps use for scratch databases."""
    if backend.rehearsal is not None:
        return backend.rehearsal.scratch_server()
    local: PostgresServer = request.getfixturevalue("scratch_postgres")
    return local


@pytest.fixture(scope="module")
def decision(journal: Journal) -> Iterator[dict[str, str | None]]:
    """The promotion decision record (cycle, SHA, snapshot id, verdict), written into the
    evidence once every item of the gate has been evaluated."""
    found: dict[str, str | None] = {}
    yield found
    if "cycle" in found:
        journal.decision = Decision(cycle=found["cycle"], sha=found.get("sha"),
                                    snapshot_id=found.get("snapshot"), signed_off_by=None,
                                    verdict="pass" if journal.verdict == "pass" else "fail")


# --- steps ----------------------------------------------------------------------------------

@given("the cycle under evaluation", target_fixture="gate_run")
def cycle_under_evaluation(world: World, run_config: RunConfig, gate_options: GateOptions,
                           sim_cycle: StagedCycle | None, journal: Journal,
                           decision: dict[str, str | None]) -> GateRun:
    run = gate.resolve_run(world, run_config.cycle, run_config.sha, gate_options, sim_cycle)
    journal.cycle, journal.sha = run.cycle, run.sha
    decision.update(cycle=run.cycle, sha=run.sha)
    for line in run.notes:
        journal.add_note(line)
    return run


@when("staging's deep health is checked with its basic-auth credentials", target_fixture="item")
def staging_deep_health(world: World) -> ItemResult:
    return staging_health.staging_health(world.tier("staging"))


@then("staging reports itself healthy")
@then("the smoke suite passed for exactly that SHA")
@then("it is a manual snapshot named for this cycle and it is available")
@then("both deliveries are acknowledged and the event is processed exactly once")
def item_green(item: ItemResult, check: CheckRecord) -> None:
    record(check, item)


@when("the smoke results for the validated SHA are read from the configured source",
      target_fixture="item")
def smoke_results(world: World, gate_run: GateRun) -> ItemResult:
    return smoke.smoke(world.topology, world.tier("staging"), gate_run.sha)


@given("the migrations this cycle adds on top of prod", target_fixture="cycle_migrations")
def migrations_of_the_cycle(world: World, gate_run: GateRun) -> CycleMigrations:
    return gate.read_cycle(world, gate_run)


@then("each of them is recorded in staging's migration table")
def recorded_on_staging(cycle_migrations: CycleMigrations, check: CheckRecord) -> None:
    record(check, gate_migrations.recorded_on_staging(cycle_migrations))


@then("running their downs and then the migrations again on a scratch copy of staging's schema gives staging's schema back")
def downs_exercised(world: World, cycle_migrations: CycleMigrations, check: CheckRecord,
                    gate_scratch_server: PostgresServer) -> None:
    staging_dsn = world.databases.source_dsn(world.tier("staging"))
    record(check, gate_migrations.downs_exercised(cycle_migrations, staging_dsn,
                                                  gate_scratch_server))


@then("each pending migration has a down ready to run")
def downs_ready(cycle_migrations: CycleMigrations, check: CheckRecord) -> None:
    record(check, gate_migrations.downs_ready(cycle_migrations))


@then("each is classified, with the order it must be applied in relative to the deploy")
def classified(cycle_migrations: CycleMigrations, check: CheckRecord) -> None:
    record(check, gate_migrations.sequencing(cycle_migrations))


@given("whether the cycle touched billing", target_fixture="billing_decision")
def touched_billing(world: World, gate_run: GateRun) -> billing.BillingDecision:
    return gate.billing_decision(world, gate_run)


@when("a signed test event is delivered twice to staging's webhook", target_fixture="item")
def deliver_twice(world: World, gate_run: GateRun,
                  billing_decision: billing.BillingDecision) -> ItemResult:
    return webhook.webhook_item(world, gate_run, billing_decision)


@when("the pre-promotion snapshot of prod for this cycle is looked up", target_fixture="item")
def pre_promotion_snapshot(world: World, gate_run: GateRun,
                           decision: dict[str, str | None]) -> ItemResult:
    item = snapshot.snapshot_item(world, gate_run)
    decision["snapshot"] = item.link[0] if item.link else None
    return item
