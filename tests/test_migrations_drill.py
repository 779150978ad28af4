"""Drill step 3 as a library: the test migration, its down, parity, and the clean-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from harness.drill.migration_parity import clean_up, prepare, record, run_step3, write_drill_migration
from harness.evidence.journal import Journal
from harness.io.db.dump import diff_databases
from harness.io.db.providers import PostgresServer, dbname_of
from harness.io.db.schema import Verdict
from harness.migrations.rules import Category
from harness.migrations.runner import applied_versions

APP = ("CREATE TABLE documents (id bigint PRIMARY KEY, title text NOT NULL);"
       "CREATE TABLE _migrations (version text PRIMARY KEY, name text NOT NULL, "
       "applied_at timestamptz NOT NULL DEFAULT now());"
       "INSERT INTO _migrations (version, name) VALUES ('20260101000000', 'baseline');")


@pytest.fixture
def app_db(postgres: PostgresServer,
           scratch_db: Callable[[], str]) -> Iterator[tuple[str, str]]:
    """A database shaped like an app's, and an untouched copy of it to compare against."""
    dsn = scratch_db()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(APP)
    name = dbname_of(dsn)
    copy = postgres.create_database(f"{name}_copy", template=name)
    yield dsn, copy
    postgres.drop_database(f"{name}_copy")


def test_the_right_down_restores_the_schema_and_leaves_no_trace(
        app_db: tuple[str, str], tmp_path: Path) -> None:
    dsn, untouched = app_db
    drill = write_drill_migration(tmp_path, "d20261127", at=datetime(2026, 11, 27, tzinfo=UTC))
    assert drill.migration.version == "20261127000000"
    result = run_step3(dsn, drill)
    assert result.status == "passed", result.failures
    assert result.schema_changed
    assert result.down_vs_before is not None
    assert result.down_vs_before.verdict is Verdict.IDENTICAL
    assert result.reapply_vs_up is None
    # Its index is built on its own new table: nothing for old code to notice.
    assert result.classification.category is Category.COMPATIBLE
    assert applied_versions(dsn) == ("20260101000000",)
    assert diff_databases(dsn, untouched).verdict is Verdict.IDENTICAL


def test_a_wrong_down_fails_parity_and_the_clean_up_removes_the_leftovers(
        app_db: tuple[str, str], tmp_path: Path) -> None:
    dsn, untouched = app_db
    drill = write_drill_migration(tmp_path, "wrong", wrong_down=True)
    result = run_step3(dsn, drill)
    assert result.status == "failed"
    assert result.down_vs_before is not None
    assert result.down_vs_before.verdict is Verdict.DIFFERENT
    assert "+CREATE TABLE public.harness_drill_wrong (" in result.down_vs_before.diff
    assert diff_databases(dsn, untouched).verdict is Verdict.DIFFERENT
    clean_up(dsn, drill)
    assert diff_databases(dsn, untouched).verdict is Verdict.IDENTICAL
    assert applied_versions(dsn) == ("20260101000000",)


def test_a_bad_drill_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="drill id"):
        write_drill_migration(tmp_path, "Bad-Id; DROP")


def test_prepare_registers_the_clean_up_and_record_writes_evidence(
        app_db: tuple[str, str], tmp_path: Path) -> None:
    dsn, untouched = app_db
    finalisers: list[Callable[[], None]] = []
    drill = prepare(dsn, tmp_path, finalisers.append, wrong_down=True)
    check = Journal(kind="tests", backend="sim", topology="t", tier="staging").begin_check(
        "Drill step 3", "wrong down")
    result = record(run_step3(dsn, drill), check, dsn)
    assert result.status == "failed"
    assert any("different schemas" in n for n in check.detail.splitlines())
    # Which server: its exact version (from the server itself) and where it listens.
    with psycopg.connect(dsn) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    assert version is not None
    assert f"on PostgreSQL {str(version[0]).split()[0]}, at " in check.detail
    assert f"changed: table public.{drill.table}: added" in check.detail
    assert check.attachments[0]["kind"] == "diff"
    assert drill.table in check.attachments[0]["content"]
    (finish,) = finalisers
    finish()
    assert diff_databases(dsn, untouched).verdict is Verdict.IDENTICAL
