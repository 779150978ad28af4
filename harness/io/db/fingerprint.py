"""Data fingerprints and drill canaries: what proves a restored copy holds the data it should.

A fingerprint is, per user table, the row count and a digest of the table's columns (name
and type, in order) and of the sum of one 64-bit hash per row. The server computes the row
hashes (no row leaves the database; a large table is scanned by PostgreSQL's parallel
workers), over each column's binary send form: exact bytes, so a NULL is not an empty
string, 1.0 is not 1.00, and a bigint's high bits count (the types' own hashes fold those).
The sum is order-independent and counts a duplicated row twice. The canary table holds one
row written before the snapshot (it must be in the copy) and one written after it (it must
not).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from harness.errors import CheckFailed
from harness.redact import mask_dsn
from harness.rollback.datacheck import CANARY_TABLE, Fingerprint, TableFingerprint

_CONNECT_TIMEOUT_S = 10

# Every column of every user table, with its type and that type's binary send function.
_COLUMNS = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       fn.nspname, f.proname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type ty ON ty.oid = a.atttypid
LEFT JOIN pg_proc f ON f.oid = ty.typsend
LEFT JOIN pg_namespace fn ON fn.oid = f.pronamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY n.nspname, c.relname, a.attnum
"""
# hash_record_extended (PostgreSQL 14+) hashes each bytea field in C and combines them,
# NULL as 0 (an empty bytea hashes to non-zero). Older servers get md5 of the same row's
# text form: the same exactness, at the old speed.
_ROW_HASH_14 = "hash_record_extended({}, 0)"
_ROW_HASH_OLD = "('x' || left(md5({}::text), 16))::bit(64)::bigint"
# Sum (not XOR) so two identical rows do not cancel out; sum(bigint) is numeric: no overflow.
_TABLE_HASH = "SELECT count(*), coalesce(sum({}), 0)::text FROM {} AS t"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    send: tuple[str, str] | None  # (schema, function); None for the few types without one


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


class DatabaseUnreachable(CheckFailed):
    """The database could not be reached, so nothing about its data was verified."""


def connect(dsn: str, what: str, *, timeout_s: float = _CONNECT_TIMEOUT_S
            ) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=max(1, round(timeout_s)))
    except psycopg.OperationalError as exc:
        raise DatabaseUnreachable(
            f"{what} is not reachable: {str(exc).strip()}", where=mask_dsn(dsn),
            fix="check the endpoint, the tunnel and the credentials; the data path was NOT "
                "verified") from exc


def fingerprint(dsn: str, what: str = "database") -> Fingerprint:
    """Fingerprint every user table of the database at ``dsn`` in one snapshot-consistent
    read (REPEATABLE READ), so concurrent writes cannot tear it."""
    started = time.monotonic()
    with connect(dsn, what) as conn:
        # textsend converts to the client encoding: fix it so the bytes hashed never depend
        # on the caller's environment.
        conn.execute("SET client_encoding TO 'UTF8'")
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        modern = conn.info.server_version >= 140000
        fingerprints = []
        for table in user_tables(conn):
            try:
                row = conn.execute(table_query(table, modern=modern)).fetchone()
            except psycopg.Error as exc:
                raise CheckFailed(f"could not fingerprint table {table.qualified}: "
                                  f"{str(exc).strip()}", where=f"{what} ({mask_dsn(dsn)})",
                                  fix="grant the role SELECT on every user table; the data path "
                                      "was NOT verified") from exc
            assert row is not None
            fingerprints.append(TableFingerprint(table.qualified, int(str(row[0])),
                                                 table_digest(table, str(row[1]))))
        conn.execute("COMMIT")
    return Fingerprint(tuple(fingerprints), round(time.monotonic() - started, 4))


def user_tables(conn: psycopg.Connection[tuple[object, ...]]) -> list[Table]:
    """Every user table (partitioned ones as their parent), with its live columns in order."""
    tables: dict[tuple[str, str], list[Column]] = {}
    for schema, name, column, type_, send_schema, send in conn.execute(_COLUMNS).fetchall():
        columns = tables.setdefault((str(schema), str(name)), [])
        if column is not None:  # a table without columns still has rows to count
            columns.append(Column(str(column), str(type_), (str(send_schema), str(send))
                                  if send is not None else None))
    return [Table(s, n, tuple(cols)) for (s, n), cols in tables.items()]


def table_query(table: Table, *, modern: bool = True) -> sql.Composed:
    """The SQL for a table's row count and the sum of its row hashes (``modern`` for a
    PostgreSQL 14+ server)."""
    return sql.SQL(_TABLE_HASH).format(row_hash(table, modern=modern),
                                       sql.Identifier(table.schema, table.name))


def row_hash(table: Table, *, modern: bool = True) -> sql.Composed:
    """The SQL for one row's 64-bit hash, over each column's binary send form (the text
    form, as bytes, for a type without a send function)."""
    fields: list[sql.Composable] = []
    for column in table.columns:
        ref = sql.Identifier("t", column.name)
        if column.send is None:
            fields.append(sql.SQL("pg_catalog.textsend({}::text)").format(ref))
        else:
            fields.append(sql.SQL("{}({})").format(sql.Identifier(*column.send), ref))
    row = sql.SQL("ROW({})").format(sql.SQL(", ").join(fields))
    return sql.SQL(_ROW_HASH_14 if modern else _ROW_HASH_OLD).format(row)


def table_digest(table: Table, hash_sum: str) -> str:
    """The column names and types (a changed type is a different table even when every
    value prints the same) and the sum of the row hashes, as one short hex digest."""
    described = json.dumps([[[c.name, c.type] for c in table.columns], hash_sum])
    return hashlib.blake2b(described.encode(), digest_size=16).hexdigest()


def write_canary(dsn: str, drill_id: str, marker: str) -> None:
    """Record ``(drill_id, marker)`` in the canary table (created when missing)."""
    table = sql.Identifier(CANARY_TABLE)
    with connect(dsn, "source database") as conn:
        conn.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (drill_id text NOT NULL, marker text NOT NULL, "
            "written_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (drill_id, marker))"
        ).format(table))
        conn.execute(sql.SQL("INSERT INTO {} (drill_id, marker) VALUES (%s, %s)").format(table),
                     (drill_id, marker))


def canary_markers(dsn: str, drill_id: str, what: str = "database") -> frozenset[str]:
    """The markers of ``drill_id`` present at ``dsn`` (empty when the table is absent)."""
    with connect(dsn, what) as conn:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (CANARY_TABLE,)).fetchone()
        if not exists or not exists[0]:
            return frozenset()
        rows = conn.execute(sql.SQL("SELECT marker FROM {} WHERE drill_id = %s").format(
            sql.Identifier(CANARY_TABLE)), (drill_id,)).fetchall()
    return frozenset(str(r[0]) for r in rows)


def count_canaries(dsn: str, drill_id: str | None = None) -> int:
    """Canary rows of ``drill_id`` (of every drill when None) in the database."""
    table = sql.Identifier(CANARY_TABLE)
    with connect(dsn, "source database") as conn:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (CANARY_TABLE,)).fetchone()
        if not exists or not exists[0]:
            return 0
        if drill_id is None:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        else:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE drill_id = %s").format(
                table), (drill_id,)).fetchone()
    return int(str(row[0])) if row else 0


def remove_canaries(dsn: str, drill_id: str | None = None) -> int:
    """Delete the canary rows of ``drill_id`` (of every drill when None); drop the table once
    it is empty. Returns the number of rows removed."""
    table = sql.Identifier(CANARY_TABLE)
    with connect(dsn, "source database") as conn:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (CANARY_TABLE,)).fetchone()
        if not exists or not exists[0]:
            return 0
        if drill_id is None:
            cur = conn.execute(sql.SQL("DELETE FROM {}").format(table))
        else:
            cur = conn.execute(sql.SQL("DELETE FROM {} WHERE drill_id = %s").format(table),
                               (drill_id,))
        removed = cur.rowcount
        left = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        if left is not None and int(str(left[0])) == 0:
            conn.execute(sql.SQL("DROP TABLE {}").format(table))
    return removed
