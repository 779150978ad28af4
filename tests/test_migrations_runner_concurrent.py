"""The runner's non-transactional files on a real PostgreSQL: a failed CREATE UNIQUE INDEX
CONCURRENTLY leaves no INVALID index (checked in pg_index) and says so, with PostgreSQL's
DETAIL; REINDEX ... CONCURRENTLY and SET + CIC run; the advisory lock is held across the
check, the statement and the record, so two runners never overlap."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from harness.migrations.discovery import Migration, discover
from harness.migrations.runner import LOCK_KEY, MigrationFailed, applied_versions, apply_up

Write = Callable[[dict[str, str]], Path]
CIC = "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"


def setup(dsn: str, sql: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.encode())


def one(write: Write, forward: str, version: str = "20260101000000") -> Migration:
    (migration,) = discover(write({f"{version}_m.sql": forward,
                                   f"{version}_m.down.sql": "SELECT 1;\n"})).migrations
    return migration


def invalid_indexes(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT indexrelid::regclass::text FROM pg_index "
                            "WHERE NOT indisvalid").fetchall()
    return [str(r[0]) for r in rows]


def test_a_failed_unique_cic_leaves_no_invalid_index_and_a_rerun_succeeds(
        scratch_db: Callable[[], str], write_migrations: Write) -> None:
    dsn = scratch_db()
    setup(dsn, "CREATE TABLE users (id int PRIMARY KEY, email text);"
               "INSERT INTO users VALUES (1, 'a@example.com'), (2, 'a@example.com');")
    migration = one(write_migrations, CIC)
    with pytest.raises(MigrationFailed) as failed:
        apply_up(dsn, migration)
    message = failed.value.render()
    assert "Key (email)=(a@example.com) is duplicated" in message  # PostgreSQL's DETAIL
    assert "INVALID index users_email_key that the failed build left was dropped" in message
    assert "the whole file was rolled back" not in message
    assert invalid_indexes(dsn) == []
    assert applied_versions(dsn) == ()
    setup(dsn, "UPDATE users SET email = 'b@example.com' WHERE id = 2;")
    apply_up(dsn, migration)
    assert applied_versions(dsn) == ("20260101000000",)
    assert invalid_indexes(dsn) == []


def test_an_invalid_index_that_cannot_be_dropped_is_named_with_the_way_to_remove_it(
        scratch_db: Callable[[], str], write_migrations: Write) -> None:
    dsn = scratch_db()
    setup(dsn, "CREATE TABLE users (id int PRIMARY KEY, email text);"
               "INSERT INTO users VALUES (1, 'a@example.com'), (2, 'a@example.com');"
               # A trigger that refuses every DROP: the runner's clean-up cannot succeed.
               "CREATE FUNCTION no_drop() RETURNS event_trigger LANGUAGE plpgsql AS "
               "$$ BEGIN RAISE EXCEPTION 'drops are frozen'; END $$;"
               "CREATE EVENT TRIGGER frozen_drops ON sql_drop EXECUTE FUNCTION no_drop();")
    try:
        with pytest.raises(MigrationFailed) as failed:
            apply_up(dsn, one(write_migrations, CIC))
        message = failed.value.render()
        assert invalid_indexes(dsn) == ["users_email_key"]
        assert "left the INVALID index users_email_key, which could not be dropped" in message
        assert "DROP INDEX CONCURRENTLY users_email_key;" in message
    finally:
        setup(dsn, "DROP EVENT TRIGGER frozen_drops;")


def test_reindex_concurrently_and_set_beside_a_cic_run_outside_a_transaction(
        scratch_db: Callable[[], str], write_migrations: Write) -> None:
    dsn = scratch_db()
    setup(dsn, "CREATE TABLE users (id int PRIMARY KEY, email text);"
               "CREATE INDEX users_email_idx ON users (email);")
    apply_up(dsn, one(write_migrations, "REINDEX INDEX CONCURRENTLY users_email_idx;\n"))
    applied = apply_up(dsn, one(write_migrations, "SET lock_timeout = '5s';\n"
                                "CREATE INDEX CONCURRENTLY users_e2 ON users (email);\n",
                                version="20260102000000"))
    assert applied.statements == 2
    assert applied_versions(dsn) == ("20260101000000", "20260102000000")
    assert invalid_indexes(dsn) == []


def test_the_advisory_lock_is_held_while_a_non_transactional_statement_runs(
        scratch_db: Callable[[], str], write_migrations: Write) -> None:
    dsn = scratch_db()
    setup(dsn, "CREATE TABLE users (id int PRIMARY KEY, email text);")
    migration = one(write_migrations, "CREATE INDEX CONCURRENTLY users_email_idx ON users "
                                      "(email);\n")
    # Another session holds a lock CIC must wait for, so the runner is caught mid-statement.
    blocker = psycopg.connect(dsn)
    blocker.execute("LOCK TABLE users IN SHARE MODE")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            apply_up(dsn, migration)
        except BaseException as exc:
            errors.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    try:
        with psycopg.connect(dsn, autocommit=True) as watch:
            waiting = None
            for _ in range(600):  # the runner's backend waiting on the table lock
                waiting = watch.execute(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE 'CREATE INDEX CONCURRENTLY%'").fetchone()
                if waiting:
                    break
                watch.execute("SELECT pg_sleep(0.05)")
            assert waiting is not None, "the runner never reached its CREATE INDEX"
            holder = watch.execute(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objid = %s", (LOCK_KEY & 0xFFFFFFFF,)).fetchone()
            # The runner's own session holds the lock while its statement runs: a second
            # runner would wait here instead of applying beside it.
            assert holder == waiting
    finally:
        blocker.rollback()
        blocker.close()
        runner.join(timeout=60)
    assert not errors, errors
    assert applied_versions(dsn) == ("20260101000000",)
