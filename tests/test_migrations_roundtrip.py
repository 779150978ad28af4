"""The up -> down -> up round trip on a real database, and its verdicts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.io.db.dump import SchemaDump, dump_schema
from harness.io.db.providers import PgDump, PostgresServer
from harness.io.db.schema import Verdict
from harness.migrations import roundtrip
from harness.migrations.discovery import load
from harness.migrations.roundtrip import RoundTrip, roundtrip_directory, roundtrip_migration
from harness.migrations.rules import Category
from harness.migrations.runner import applied_versions, apply_up

FIXTURES = Path(__file__).parent / "fixtures" / "migrations"
Write = Callable[[dict[str, str]], Path]
BASE = {
    "20260101000000_users.sql": "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, "
                                "created_at timestamptz);\n",
    "20260101000000_users.down.sql": "DROP TABLE users;\n",
}


def after_base(postgres: PostgresServer, write_migrations: Write, forward: str,
               down: str) -> RoundTrip:
    """Round-trip one migration (forward, down) applied after the users table."""
    d = write_migrations({**BASE, "20260102000000_change.sql": forward,
                          "20260102000000_change.down.sql": down})
    return roundtrip_directory(postgres, load(d)).results[1]


def test_the_sample_directory_round_trips(postgres: PostgresServer,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    dumped: list[str] = []

    def counting(dsn: str, pg_dump: PgDump) -> SchemaDump:
        dumped.append(dsn)
        return dump_schema(dsn, pg_dump)

    monkeypatch.setattr(roundtrip, "dump_schema", counting)
    report = roundtrip_directory(postgres, load(FIXTURES / "app"))
    assert report.ok, [r.failures for r in report.results]
    assert [r.status for r in report.results] == ["passed"] * 4
    # A, B, C, D for the first; B, C, D for each later one (its A is the previous D).
    assert len(dumped) == 4 + 3 * 3, dumped
    assert all(r.down_vs_before is not None and r.down_vs_before.verdict is Verdict.IDENTICAL
               for r in report.results)
    data_only = report.results[-1]
    assert not data_only.schema_changed and "data-only" in data_only.notes[0]
    assert {p.name for p in report.results[0].phases} == {"up", "down", "up again"}


def test_the_scratch_database_is_dropped(postgres: PostgresServer) -> None:
    report = roundtrip_directory(postgres, load(FIXTURES / "app"), since="20260501000000")
    assert [r.version for r in report.results] == ["20260529003733"]
    import psycopg

    with psycopg.connect(postgres.dsn("postgres")) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s",
                            (report.database,)).fetchone() == (0,)


def test_a_down_that_does_not_restore_the_schema_fails_with_a_diff(
        postgres: PostgresServer, write_migrations: Write) -> None:
    d = write_migrations({
        **BASE,
        "20260102000000_audit.sql": "CREATE TABLE audit (id int, at timestamptz);\n"
                                    "ALTER TABLE users ADD COLUMN nickname text;\n",
        "20260102000000_audit.down.sql": "DROP TABLE audit;\n",
        "20260103000000_later.sql": "CREATE TABLE later (id int);\n",
        "20260103000000_later.down.sql": "DROP TABLE later;\n",
    })
    report = roundtrip_directory(postgres, load(d))
    assert not report.ok
    bad = report.results[1]
    assert bad.status == "failed"
    assert bad.down_vs_before is not None and bad.down_vs_before.verdict is Verdict.DIFFERENT
    assert "+    nickname text" in bad.down_vs_before.diff
    assert "does not restore the schema" in bad.failures[0]
    assert report.not_run == ("20260103000000",)


def test_a_down_that_re_adds_a_dropped_column_is_equivalent_not_identical(
        postgres: PostgresServer, write_migrations: Write) -> None:
    d = write_migrations({
        **BASE,
        "20260102000000_drop_email.sql": "ALTER TABLE users DROP COLUMN email;\n",
        "20260102000000_drop_email.down.sql": "ALTER TABLE users ADD COLUMN email text NOT NULL;\n",
    })
    report = roundtrip_directory(postgres, load(d))
    result = report.results[1]
    assert report.ok and result.status == "passed"
    assert result.down_vs_before is not None
    assert result.down_vs_before.verdict is Verdict.EQUIVALENT
    assert result.down_vs_before.reordered_tables == ("public.users",)
    assert result.reapply_vs_up is not None
    assert result.reapply_vs_up.verdict is Verdict.IDENTICAL
    assert any("column order" in n for n in result.notes)
    assert result.classification.category is Category.BREAKING


def test_a_do_block_that_changes_a_column_type_is_caught_by_the_catalog_diff(
        postgres: PostgresServer, write_migrations: Write) -> None:
    d = write_migrations({
        **BASE,
        "20260102000000_hidden.sql": "-- looks harmless to a parser\n"
                                     "DO $$\nBEGIN\n  EXECUTE 'ALTER TABLE users ALTER COLUMN "
                                     "created_at TYPE timestamp';\nEND\n$$;\n",
        "20260102000000_hidden.down.sql": "DO $$ BEGIN ALTER TABLE users ALTER COLUMN "
                                          "created_at TYPE timestamptz; END $$;\n",
    })
    result = roundtrip_directory(postgres, load(d)).results[1]
    assert result.status == "passed"
    findings = [(f.rule, f.line, f.obj, f.source) for f in result.classification.findings]
    assert findings == [("do-block", 2, "", "static"),
                        ("change-column-type", 2, "users.created_at", "catalog")]
    assert result.classification.category is Category.BREAKING
    assert "timestamp with time zone -> timestamp without time zone" in (
        result.classification.findings[1].message)


def test_an_irreversible_migration_is_reported_not_downed(
        postgres: PostgresServer, write_migrations: Write) -> None:
    result = after_base(postgres, write_migrations, "DROP TABLE users;\n",
                        "-- harness:irreversible: user rows are gone\n")
    assert result.status == "irreversible" and result.ok
    assert result.down_vs_before is None
    assert "user rows are gone" in result.notes[0]


def test_a_forward_file_that_changes_nothing_fails(
        postgres: PostgresServer, write_migrations: Write) -> None:
    result = after_base(postgres, write_migrations,
                        "CREATE TABLE IF NOT EXISTS users (id int);\n", "SELECT 1;\n")
    assert result.status == "failed"
    assert "changed nothing in the schema" in result.failures[0]


def test_a_failing_forward_is_a_failed_result_not_a_crash(
        postgres: PostgresServer, write_migrations: Write) -> None:
    result = after_base(postgres, write_migrations, "ALTER TABLE nope ADD COLUMN x int;\n",
                        "ALTER TABLE nope DROP COLUMN x;\n")
    assert result.status == "failed"
    assert "20260102000000_change.sql:1" in result.failures[0]


def test_bookkeeping_follows_each_step_and_reapply_false_leaves_it_down(
        postgres: PostgresServer, scratch_db: Callable[[], str], write_migrations: Write) -> None:
    d = write_migrations({**BASE, "20260102000000_t.sql": "CREATE TABLE t (id int);\n",
                          "20260102000000_t.down.sql": "DROP TABLE t;\n"})
    base, migration = load(d).migrations
    dsn = scratch_db()
    apply_up(dsn, base)
    result = roundtrip_migration(dsn, migration, postgres.pg_dump(), reapply=False)
    assert result.ok and result.reapply_vs_up is None
    assert applied_versions(dsn) == (base.version,)
    result = roundtrip_migration(dsn, migration, postgres.pg_dump())
    assert result.ok and applied_versions(dsn) == (base.version, migration.version)
