"""The runner on a real database: one transaction per file, _migrations bookkeeping, and a
failing statement that leaves nothing half-applied and nothing lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from harness.errors import ConfigError
from harness.io.db.dump import dump_schema
from harness.io.db.providers import PostgresServer
from harness.io.db.schema import Verdict, compare
from harness.migrations.discovery import discover, load
from harness.migrations.runner import MigrationFailed, applied_versions, apply_down, apply_up

FIXTURES = Path(__file__).parent / "fixtures" / "migrations"
Write = Callable[[dict[str, str]], Path]


def test_up_records_and_down_removes_the_row(scratch_db: Callable[[], str]) -> None:
    dsn = scratch_db()
    migrations = load(FIXTURES / "app").migrations
    assert applied_versions(dsn) == ()
    for migration in migrations:
        applied = apply_up(dsn, migration)
        assert applied.direction == "up" and applied.seconds >= 0
    assert applied_versions(dsn) == tuple(m.version for m in migrations)
    for migration in reversed(migrations):
        apply_down(dsn, migration)
    assert applied_versions(dsn) == ()
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                            "AND tablename <> '_migrations'").fetchone() == (0,)


def test_a_file_with_begin_commit_and_a_concurrent_index_both_apply(
        scratch_db: Callable[[], str]) -> None:
    dsn = scratch_db()
    create, nickname, index, _ = load(FIXTURES / "app").migrations
    apply_up(dsn, create)
    assert apply_up(dsn, nickname).statements == 2  # BEGIN and COMMIT are not sent
    apply_up(dsn, index)  # CREATE INDEX CONCURRENTLY runs outside a transaction
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('users_email_idx') IS NOT NULL").fetchone() == (
            True,)


def test_a_failing_statement_rolls_back_the_whole_file(
        postgres: PostgresServer, scratch_db: Callable[[], str], write_migrations: Write) -> None:
    dsn = scratch_db()
    d = write_migrations({
        "20260101000000_base.sql": "CREATE TABLE users (id int PRIMARY KEY, email text);\n"
                                   "INSERT INTO users VALUES (1, 'a@example.com');\n",
        "20260101000000_base.down.sql": "DROP TABLE users;\n",
        "20260102000000_broken.sql": "ALTER TABLE users ADD COLUMN nick text;\n"
                                     "CREATE TABLE audit (id int);\n"
                                     "\n"
                                     "ALTER TABLE users ALTER COLUMN email TYPE integer;\n",
        "20260102000000_broken.down.sql": "DROP TABLE audit;\n"
                                          "ALTER TABLE users DROP COLUMN nick;\n",
    })
    base, broken = load(d).migrations
    apply_up(dsn, base)
    before = dump_schema(dsn, postgres.pg_dump()).schema

    with pytest.raises(MigrationFailed) as err:
        apply_up(dsn, broken)
    assert err.value.where == f"{broken.forward.path}:4"
    assert "rolled back" in str(err.value) and "lacks 20260102000000" in str(err.value)

    after = dump_schema(dsn, postgres.pg_dump()).schema
    assert compare(before, after).verdict is Verdict.IDENTICAL  # nothing half-applied
    assert applied_versions(dsn) == (base.version,)  # bookkeeping unchanged
    with psycopg.connect(dsn) as conn:  # nothing lost
        assert conn.execute("SELECT id, email FROM users").fetchall() == [(1, "a@example.com")]


def test_a_failing_down_keeps_the_migration_applied(
        scratch_db: Callable[[], str], write_migrations: Write) -> None:
    dsn = scratch_db()
    d = write_migrations({
        "20260101000000_a.sql": "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
        "20260101000000_a.down.sql": "DROP TABLE b;\nDROP TABLE not_there;\n",
    })
    (migration,) = load(d).migrations
    apply_up(dsn, migration)
    with pytest.raises(MigrationFailed, match="still lists 20260101000000"):
        apply_down(dsn, migration)
    assert applied_versions(dsn) == (migration.version,)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('b') IS NOT NULL").fetchone() == (True,)


def test_applying_twice_or_downing_what_is_not_applied_is_refused(
        scratch_db: Callable[[], str]) -> None:
    dsn = scratch_db()
    create = load(FIXTURES / "app").migrations[0]
    with pytest.raises(MigrationFailed, match="is not applied"):
        apply_down(dsn, create)
    apply_up(dsn, create)
    with pytest.raises(MigrationFailed, match="already applied"):
        apply_up(dsn, create)
    assert applied_versions(dsn) == (create.version,)


def test_an_irreversible_migration_has_no_down_to_run(
        scratch_db: Callable[[], str], write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": "CREATE TABLE a (id int);\n",
                          "20260101000000_a.down.sql": "-- harness:irreversible: demo\n"})
    (migration,) = discover(d).migrations
    dsn = scratch_db()
    apply_up(dsn, migration)
    with pytest.raises(ConfigError, match="marked irreversible at line 1: demo"):
        apply_down(dsn, migration)


def test_a_bookkeeping_table_of_another_shape_is_a_config_error_and_nothing_is_kept(
        scratch_db: Callable[[], str]) -> None:
    dsn = scratch_db()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE _migrations (id serial PRIMARY KEY, filename text)")
    create = load(FIXTURES / "app").migrations[0]
    with pytest.raises(ConfigError) as err:
        apply_up(dsn, create)
    assert "cannot use the _migrations table" in str(err.value)
    assert 'column "version" does not exist' in str(err.value)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('users')").fetchone() == (None,)
