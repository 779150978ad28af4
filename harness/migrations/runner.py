"""Apply a forward or down file to a database: the whole file and its ``_migrations`` row in
one transaction, so a failing statement leaves the schema and the bookkeeping as they were.
A file whose statement PostgreSQL refuses inside a transaction (CREATE INDEX CONCURRENTLY
...) runs in autocommit, and what a failure of it left behind is cleaned up or named.
Runners are serialised by a session-level advisory lock held from the check to the record."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from harness.errors import CheckFailed, ConfigError
from harness.migrations import txmode
from harness.migrations.discovery import Migration, SqlFile
from harness.migrations.leftovers import Leftovers, invalid_indexes, remove_leftovers
from harness.redact import mask_dsn

BOOKKEEPING_TABLE = "_migrations"
_CREATE_BOOKKEEPING = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {} (version text PRIMARY KEY, name text NOT NULL, "
    "applied_at timestamptz NOT NULL DEFAULT now())"
).format(sql.Identifier(BOOKKEEPING_TABLE))
# Serialises runners on one database (two people applying at once).
LOCK_KEY = 0x6D696772

Conn = psycopg.Connection[tuple[object, ...]]


class MigrationFailed(CheckFailed):
    """A statement of a migration file failed; the message says what was kept (nothing,
    unless a non-transactional statement left something, which it then names)."""


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


def applied_at(dsn: str) -> dict[str, datetime]:
    """When each version in ``_migrations`` was recorded (empty when there is no table)."""
    with psycopg.connect(dsn) as conn:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                              (BOOKKEEPING_TABLE,)).fetchone()
        if not exists or not exists[0]:
            return {}
        rows = conn.execute(sql.SQL("SELECT version, applied_at FROM {} ORDER BY version").format(
            sql.Identifier(BOOKKEEPING_TABLE))).fetchall()
    return {str(version): when for version, when in rows if isinstance(when, datetime)}


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


def describe(exc: psycopg.Error) -> str:
    """PostgreSQL's message with its DETAIL and HINT (which key is duplicated, what to do)."""
    diag = exc.diag
    text = diag.message_primary or str(exc).strip()
    if diag.message_detail:
        text += f" (DETAIL: {diag.message_detail})"
    if diag.message_hint:
        text += f" (HINT: {diag.message_hint})"
    return text


def _apply(dsn: str, migration: Migration, sql_file: SqlFile, direction: str) -> Applied:
    started = time.monotonic()
    try:
        conn = psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        raise ConfigError(f"cannot reach the database: {exc}".strip(), where=mask_dsn(dsn),
                          fix="check the DSN (and the tunnel, if there is one)") from exc
    with conn, _bookkeeping_errors(dsn, sql_file), _session_lock(conn):
        server_major = conn.info.server_version // 10000
        _refuse_on_this_server(sql_file, server_major)
        plan = txmode.plan(sql_file.statements, server_major)
        run = _Run(conn, migration, sql_file, direction)
        if plan.autocommit:
            with conn.transaction():
                run.check_state()
            run.outside_transaction(plan)
            with conn.transaction():
                run.record()
        else:
            with conn.transaction():
                run.check_state()
                for stmt in plan.statements:
                    run.statement(stmt.text, stmt.line, "the whole file was rolled back")
                run.record()
    return Applied(migration.version, migration.name, direction, len(plan.statements),
                   time.monotonic() - started)


@contextlib.contextmanager
def _session_lock(conn: Conn) -> Iterator[None]:
    """A session-level advisory lock: it outlives the transactions of an autocommit file
    (a transaction-level one taken in autocommit would be released at once)."""
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        yield
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


@contextlib.contextmanager
def _bookkeeping_errors(dsn: str, sql_file: SqlFile) -> Iterator[None]:
    """Statements are reported by ``_Run``; what fails here is the bookkeeping itself."""
    try:
        yield
    except psycopg.Error as exc:
        raise ConfigError(
            f"cannot use the {BOOKKEEPING_TABLE} table: {describe(exc)}; nothing of "
            f"{sql_file.path.name} was recorded",
            where=f"{mask_dsn(dsn)} table {BOOKKEEPING_TABLE}",
            fix=f"the runner records (version text PRIMARY KEY, name text, applied_at "
                f"timestamptz) in {BOOKKEEPING_TABLE}; point it at a database whose table has "
                "that shape",
        ) from exc


def _refuse_on_this_server(sql_file: SqlFile, server_major: int) -> None:
    """What lint cannot know: e.g. ADD VALUE beside other statements on PostgreSQL < 12."""
    for found in txmode.problems(sql_file.statements, server_major):
        raise ConfigError(f"{found.message} (server is PostgreSQL {server_major})",
                          where=f"{sql_file.path}:{found.statement.line}", fix=found.fix)


class _Run:
    """One file being applied on one connection."""

    def __init__(self, conn: Conn, migration: Migration, sql_file: SqlFile,
                 direction: str) -> None:
        self.conn, self.migration, self.sql_file, self.direction = (conn, migration, sql_file,
                                                                     direction)

    @property
    def table_state(self) -> str:
        return (f"_migrations still {'lists' if self.direction == 'down' else 'lacks'} "
                f"{self.migration.version}")

    def check_state(self) -> None:
        self.conn.execute(_CREATE_BOOKKEEPING)
        row = self.conn.execute(sql.SQL("SELECT 1 FROM {} WHERE version = %s").format(
            sql.Identifier(BOOKKEEPING_TABLE)), (self.migration.version,)).fetchone()
        where = str(self.sql_file.path)
        if self.direction == "up" and row is not None:
            raise MigrationFailed(f"migration {self.migration.version} is already applied",
                                  where=where,
                                  fix="run its down first, or skip it: nothing was changed")
        if self.direction == "down" and row is None:
            raise MigrationFailed(f"migration {self.migration.version} is not applied, so its "
                                  "down cannot run", where=where,
                                  fix="apply the forward file first: nothing was changed")

    def statement(self, text: str, line: int, kept: str, leftovers: str = "") -> None:
        try:
            self.conn.execute(text.encode())
        except psycopg.Error as exc:
            raise MigrationFailed(
                f"statement failed: {describe(exc)}; {kept} and {self.table_state}"
                f"{leftovers}", where=f"{self.sql_file.path}:{line}",
                fix="fix the statement (or the data) and run the file again",
            ) from exc

    def outside_transaction(self, plan: txmode.TxPlan) -> None:
        main = plan.main
        for stmt in plan.statements:
            if stmt is not main:
                self.statement(stmt.text, stmt.line, "nothing else ran")
                continue
            before = invalid_indexes(self.conn, stmt)
            try:
                self.statement(stmt.text, stmt.line, f"it ran outside a transaction "
                               f"({txmode.non_transactional(stmt)})")
            except MigrationFailed as exc:
                left: Leftovers = remove_leftovers(self.conn, stmt, before)
                raise MigrationFailed(exc.what + left.sentence(), where=exc.where,
                                      fix=left.fix or exc.fix) from exc.__cause__

    def record(self) -> None:
        table = sql.Identifier(BOOKKEEPING_TABLE)
        if self.direction == "up":
            self.conn.execute(sql.SQL("INSERT INTO {} (version, name) VALUES (%s, %s)").format(
                table), (self.migration.version, self.migration.name))
        else:
            self.conn.execute(sql.SQL("DELETE FROM {} WHERE version = %s").format(table),
                              (self.migration.version,))
