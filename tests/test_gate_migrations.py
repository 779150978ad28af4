"""The gate's migration items on real PostgreSQL databases: prod at its head, staging with
the cycle applied, downs exercised on a scratch copy of staging's schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.backend.sim.gate_cycle import PROD_HEAD, migrations_dir
from harness.gate.items import migrations as gm
from harness.io.db.providers import PostgresServer
from harness.migrations.discovery import MigrationPattern, discover
from harness.migrations.runner import apply_up


def staged(scratch_db: Callable[[], str], directory: Path,
           staging_upto: str | None = None) -> tuple[str, str]:
    """(prod DSN, staging DSN): prod at PROD_HEAD, staging at ``staging_upto`` (or all)."""
    prod, staging = scratch_db(), scratch_db()
    for migration in discover(directory, MigrationPattern()).migrations:
        if migration.version <= PROD_HEAD:
            apply_up(prod, migration)
        if staging_upto is None or migration.version <= staging_upto:
            apply_up(staging, migration)
    return prod, staging


def cycle_of(scratch_db: Callable[[], str], tmp_path: Path, *faults: str,
             staging_upto: str | None = None) -> tuple[gm.CycleMigrations, str]:
    directory = migrations_dir(frozenset(faults), tmp_path)
    if "gate-pending-no-down" in faults or "gate-down-not-restoring" in faults:
        # Staging got the cycle from the healthy files; the fault is in what is checked.
        prod, staging = staged(scratch_db, migrations_dir(frozenset(), tmp_path / "ok"),
                               staging_upto)
    else:
        prod, staging = staged(scratch_db, directory, staging_upto)
    return gm.read_cycle(directory, MigrationPattern(), prod, staging), staging


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    (tmp_path / "ok").mkdir()
    return tmp_path


def test_healthy_cycle(scratch_db: Callable[[], str], tmp: Path, postgres: PostgresServer) -> None:
    cycle, staging = cycle_of(scratch_db, tmp)
    assert [m.version for m in cycle.pending] == ["20260529003733", "20260601090000",
                                                  "20260602120000"]
    assert gm.recorded_on_staging(cycle).status == "passed"
    exercised = gm.downs_exercised(cycle, staging, postgres)
    assert exercised.status == "passed", exercised.reason
    assert "identical" in exercised.reason
    assert gm.downs_ready(cycle).status == "passed"
    seq = gm.sequencing(cycle)
    rows = {r["version"]: r for r in seq.table}
    assert rows["20260602120000"]["classification"] == "breaking"
    assert "BEFORE" in rows["20260602120000"]["advice"]
    assert rows["20260529003733"]["classification"] == "backward-compatible"
    assert "after the deploy" in rows["20260529003733"]["advice"]
    assert "apply BEFORE dispatch" in seq.reason and "20260602120000" in seq.reason


def test_a_cycle_migration_missing_on_staging(scratch_db: Callable[[], str], tmp: Path) -> None:
    cycle, _ = cycle_of(scratch_db, tmp, staging_upto="20260601090000")
    result = gm.recorded_on_staging(cycle)
    assert result.status == "failed" and "20260602120000_rename_organisation_name" in result.reason


def test_a_down_that_does_not_restore_the_schema(scratch_db: Callable[[], str], tmp: Path,
                                                 postgres: PostgresServer) -> None:
    cycle, staging = cycle_of(scratch_db, tmp, "gate-down-not-restoring")
    result = gm.downs_exercised(cycle, staging, postgres)
    assert result.status == "failed", result.reason
    assert "does not give staging's schema back" in result.reason
    assert any("DEFAULT 'draft'" in d for d in result.details)
    # The pending-migrations item is not about that: the down exists.
    assert gm.downs_ready(cycle).status == "passed"


def test_a_pending_migration_with_no_down(scratch_db: Callable[[], str], tmp: Path,
                                          postgres: PostgresServer) -> None:
    cycle, staging = cycle_of(scratch_db, tmp, "gate-pending-no-down")
    ready = gm.downs_ready(cycle)
    assert ready.status == "failed" and "20260529003733_remove_ai_provider_setting" in ready.reason
    exercised = gm.downs_exercised(cycle, staging, postgres)
    assert exercised.status == "passed", exercised.reason
    assert any("not exercised" in d and "20260529003733" in d for d in exercised.details)


def test_nothing_pending(scratch_db: Callable[[], str], tmp: Path, postgres: PostgresServer) -> None:
    directory = migrations_dir(frozenset(), tmp)
    _, staging = staged(scratch_db, directory)
    cycle = gm.read_cycle(directory, MigrationPattern(), staging, staging)
    assert gm.recorded_on_staging(cycle).status == "not_applicable"
    assert gm.downs_exercised(cycle, staging, postgres).status == "not_applicable"
    assert gm.downs_ready(cycle).status == "not_applicable"


def test_the_scratch_copy_is_dropped(scratch_db: Callable[[], str], tmp: Path,
                                     postgres: PostgresServer) -> None:
    import psycopg

    cycle, staging = cycle_of(scratch_db, tmp)
    gm.downs_exercised(cycle, staging, postgres)
    with psycopg.connect(postgres.dsn("postgres")) as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'harness_gate_%'"
                            ).fetchone()
    assert left == (0,)
