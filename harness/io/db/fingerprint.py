"""Data fingerprints and drill canaries: what proves a restored copy holds the data it should.

A fingerprint is, per user table, the row count and an order-independent hash (the sum of
the first 64 bits of ``md5(row::text)``), computed by the server in SQL so no row leaves
the database. The canary table holds one row written before the snapshot (it must be in the
copy) and one written after it (it must not).
"""

from __future__ import annotations

import time

import psycopg
from psycopg import sql

from harness.errors import CheckFailed
from harness.redact import mask_dsn
from harness.rollback.datacheck import CANARY_TABLE, Fingerprint, TableFingerprint

_CONNECT_TIMEOUT_S = 10

_USER_TABLES = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2
"""
# Sum (not XOR) so two identical rows do not cancel out; numeric so it never overflows.
_TABLE_HASH = ("SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint"
               "::numeric), 0)::text FROM {} AS t")


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
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        tables = []
        for schema, name in conn.execute(_USER_TABLES).fetchall():
            ident = sql.Identifier(str(schema), str(name))
            row = conn.execute(sql.SQL(_TABLE_HASH).format(ident)).fetchone()
            assert row is not None
            tables.append(TableFingerprint(f"{schema}.{name}", int(str(row[0])), str(row[1])))
        conn.execute("COMMIT")
    return Fingerprint(tuple(tables), round(time.monotonic() - started, 4))


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
