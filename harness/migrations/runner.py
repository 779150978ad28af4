"""Apply a forward or down file to a database: the whole file and its ``_migrations`` row in
one transaction, so a failing statement leaves the schema and the bookkeeping as they were."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from harness.errors import CheckFailed, ConfigError
from harness.migrations.discovery import Migration, SqlFile, executable_statements, needs_autocommit
from harness.redact import mask_dsn

BOOKKEEPING_TABLE = "_migrations"
_CREATE_BOOKKEEPING = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {} (version text PRIMARY KEY, name text NOT NULL, "
    "applied_at timestamptz NOT NULL DEFAULT now())"
).format(sql.Identifier(BOOKKEEPING_TABLE))
# Serialises runners on one database (two people applying at once).
_LOCK_KEY = 0x6D696772


class MigrationFailed(CheckFailed):
    """A statement of a migration file failed; nothing of that file was kept."""


@dataclass(frozen=True)
class Applied:
    version: str
    name: str
    direction: str  # up | down
    statements: int
    seconds: float


def applied_versions(dsn: str) -> tuple[str, ...]:
    """Versions recorded in ``_migrations`` (empty when the table does not exist yet)."""
    with psycopg.connect(dsn) as conn:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                              (BOOKKEEPING_TABLE,)).fetchone()
        if not exists or not exists[0]:
            return ()
        rows = conn.execute(sql.SQL("SELECT version FROM {} ORDER BY version").format(
            sql.Identifier(BOOKKEEPING_TABLE))).fetchall()
    return tuple(str(r[0]) for r in rows)


def apply_up(dsn: str, migration: Migration) -> Applied:
    """Run the forward file and record the migration in ``_migrations``."""
    return _apply(dsn, migration, migration.forward, "up")


def apply_down(dsn: str, migration: Migration) -> Applied:
    """Run the down file and remove the migration's ``_migrations`` row."""
    if migration.down is None or migration.irreversible is not None:
        marked = (f" (marked irreversible at line {migration.irreversible.line}: "
                  f"{migration.irreversible.reason})" if migration.irreversible else "")
        raise ConfigError(f"migration {migration.name} has no down to run{marked}",
                          where=str(migration.forward.path),
                          fix="restore the pre-migration snapshot instead (runbook Layer 2)")
    return _apply(dsn, migration, migration.down, "down")


def _apply(dsn: str, migration: Migration, sql_file: SqlFile, direction: str) -> Applied:
    statements = executable_statements(sql_file)
    started = time.monotonic()
    autocommit = needs_autocommit(sql_file)
    try:
        with psycopg.connect(dsn, autocommit=autocommit) as conn:
            if autocommit:
                _check_state(conn, migration, direction, sql_file)
                _run(conn, statements[0].text, sql_file, statements[0].line, migration)
                with conn.transaction():
                    _record(conn, migration, direction)
            else:
                with conn.transaction():
                    _check_state(conn, migration, direction, sql_file)
                    for stmt in statements:
                        _run(conn, stmt.text, sql_file, stmt.line, migration)
                    _record(conn, migration, direction)
    except psycopg.OperationalError as exc:
        raise ConfigError(f"cannot reach the database: {exc}".strip(), where=mask_dsn(dsn),
                          fix="check the DSN (and the tunnel, if there is one)") from exc
    return Applied(migration.version, migration.name, direction, len(statements),
                   time.monotonic() - started)


def _check_state(conn: psycopg.Connection[tuple[object, ...]], migration: Migration,
                 direction: str, sql_file: SqlFile) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    conn.execute(_CREATE_BOOKKEEPING)
    row = conn.execute(sql.SQL("SELECT 1 FROM {} WHERE version = %s").format(
        sql.Identifier(BOOKKEEPING_TABLE)), (migration.version,)).fetchone()
    if direction == "up" and row is not None:
        raise MigrationFailed(f"migration {migration.version} is already applied",
                              where=str(sql_file.path),
                              fix="run its down first, or skip it: nothing was changed")
    if direction == "down" and row is None:
        raise MigrationFailed(f"migration {migration.version} is not applied, so its down "
                              "cannot run", where=str(sql_file.path),
                              fix="apply the forward file first: nothing was changed")


def _run(conn: psycopg.Connection[tuple[object, ...]], text: str, sql_file: SqlFile,
         line: int, migration: Migration) -> None:
    try:
        conn.execute(text.encode())
    except psycopg.Error as exc:
        reason = exc.diag.message_primary or str(exc).strip()
        raise MigrationFailed(
            f"statement failed: {reason}; the whole file was rolled back and _migrations "
            f"still {'lists' if _is_down(sql_file, migration) else 'lacks'} "
            f"{migration.version}",
            where=f"{sql_file.path}:{line}",
            fix="fix the statement and run the file again",
        ) from exc


def _record(conn: psycopg.Connection[tuple[object, ...]], migration: Migration,
            direction: str) -> None:
    table = sql.Identifier(BOOKKEEPING_TABLE)
    if direction == "up":
        conn.execute(sql.SQL("INSERT INTO {} (version, name) VALUES (%s, %s)").format(table),
                     (migration.version, migration.name))
    else:
        conn.execute(sql.SQL("DELETE FROM {} WHERE version = %s").format(table),
                     (migration.version,))


def _is_down(sql_file: SqlFile, migration: Migration) -> bool:
    return migration.down is not None and sql_file.path == migration.down.path
