"""Steps for drill step 3: a reversible test migration, its down, schema parity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_bdd import given, then, when

from harness import guard, interrupts
from harness.drill.migration_parity import DrillMigration, prepare, record, run_step3
from harness.evidence.journal import CheckRecord
from harness.io.db.schema import Verdict
from harness.migrations.roundtrip import RoundTrip
from harness.topology import Tier
from harness.world import World


@given("the tier's database", target_fixture="tier_dsn")
def tier_database(world: World, tier: Tier) -> str:
    guard.check_drill_target(tier)
    world.guard_write(tier.name, action="apply the drill's test migration")
    return world.databases.source_dsn(tier)


@given("the drill's reversible test migration", target_fixture="drill_migration")
def reversible_migration(tier_dsn: str, tier: Tier, tmp_path: Path,
                         request: pytest.FixtureRequest) -> DrillMigration:
    return prepare(tier_dsn, tmp_path, _undo(tier, request))


def _undo(tier: Tier, request: pytest.FixtureRequest) -> Callable[[Callable[[], None]], None]:
    """Register a test migration's clean-up as the drill's undo."""
    label = f"tier {tier.name}: the drill's step-3 test migration objects in its database"
    return lambda work: request.addfinalizer(interrupts.undoable(label, work))


@given("the drill's test migration with a deliberately wrong down",
       target_fixture="drill_migration")
def wrong_migration(tier_dsn: str, tier: Tier, tmp_path: Path,
                    request: pytest.FixtureRequest) -> DrillMigration:
    return prepare(tier_dsn, tmp_path, _undo(tier, request), wrong_down=True)


@when("the test migration is applied to the tier's database and its down is run",
      target_fixture="step3")
def apply_and_down(tier_dsn: str, drill_migration: DrillMigration,
                   check: CheckRecord) -> RoundTrip:
    return record(run_step3(tier_dsn, drill_migration), check, tier_dsn)


@then("the test migration changed the schema")
def schema_changed(step3: RoundTrip) -> None:
    assert step3.schema_changed, "the schema after the up equals the schema before it"


@then("_migrations listed the test migration after the up and not after the down")
def bookkeeping(step3: RoundTrip) -> None:
    wrong = [f for f in step3.failures if "_migrations" in f]
    assert not wrong, wrong


@then("the schema after the down matches the schema before the migration")
def parity(step3: RoundTrip) -> None:
    comparison = step3.down_vs_before
    assert comparison is not None, "; ".join(step3.failures) or "the down was not run"
    assert comparison.verdict is not Verdict.DIFFERENT, f"{comparison.summary}\n{comparison.diff}"


@then("the parity check reports the table the down left behind")
def caught(step3: RoundTrip, drill_migration: DrillMigration) -> None:
    comparison = step3.down_vs_before
    assert comparison is not None and comparison.verdict is Verdict.DIFFERENT, step3
    assert f"+CREATE TABLE public.{drill_migration.table} (" in comparison.diff, comparison.diff
