"""What a failed concurrent index build leaves: PostgreSQL keeps the half-built index,
marked INVALID in ``pg_index`` (it still slows every write, and a rerun then fails with
"already exists"). Find those the failure added, drop them, and say exactly what happened."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from pglast import ast
from pglast.enums import ReindexObjectType
from psycopg import sql

from harness.migrations.statements import Statement

_TABLE_OF = """
SELECT CASE WHEN c.relkind IN ('i', 'I') THEN i.indrelid ELSE c.oid END
FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid
WHERE c.oid = to_regclass(%s)
"""
_INVALID = """
SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s AND NOT indisvalid
"""


@dataclass(frozen=True)
class Leftovers:
    dropped: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    why: str = ""

    def sentence(self) -> str:
        parts = []
        if self.dropped:
            parts.append(f"; the INVALID index {', '.join(self.dropped)} that the failed build "
                         "left was dropped")
        if self.left:
            parts.append(f"; the failed build left the INVALID index {', '.join(self.left)}, "
                         f"which could not be dropped ({self.why})")
        return "".join(parts)

    @property
    def fix(self) -> str:
        if not self.left:
            return ""
        drops = " ".join(f"DROP INDEX CONCURRENTLY {name};" for name in self.left)
        return f"remove it first with: {drops} then fix the data and run the file again"


def invalid_indexes(conn: psycopg.Connection[tuple[object, ...]],
                    stmt: Statement) -> frozenset[str]:
    """The INVALID indexes on the table a concurrent build of ``stmt`` works on."""
    target = _target(stmt)
    if target is None:
        return frozenset()
    row = conn.execute(_TABLE_OF, (target,)).fetchone()
    if row is None or row[0] is None:
        return frozenset()
    return frozenset(str(r[0]) for r in conn.execute(_INVALID, (row[0],)).fetchall())


def remove_leftovers(conn: psycopg.Connection[tuple[object, ...]], stmt: Statement,
                     before: frozenset[str]) -> Leftovers:
    """Drop the INVALID indexes that appeared since ``before`` (autocommit connection)."""
    try:
        new = sorted(invalid_indexes(conn, stmt) - before)
    except psycopg.Error as exc:
        return Leftovers(left=("(unknown: pg_index could not be read)",), why=str(exc).strip())
    dropped: list[str] = []
    for name in new:
        try:
            conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.SQL(name)))
        except psycopg.Error as exc:
            return Leftovers(tuple(dropped), tuple(n for n in new if n not in dropped),
                             (exc.diag.message_primary or str(exc)).strip())
        dropped.append(name)
    return Leftovers(tuple(dropped))


def _target(stmt: Statement) -> str | None:
    """The relation a concurrent build works on, as text for ``to_regclass``."""
    node = stmt.node
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return _quoted(node.relation)
    if isinstance(node, ast.ReindexStmt) and node.kind in {
            ReindexObjectType.REINDEX_OBJECT_INDEX, ReindexObjectType.REINDEX_OBJECT_TABLE}:
        return _quoted(node.relation)
    return None


def _quoted(relation: ast.RangeVar | None) -> str | None:
    if relation is None:
        return None
    parts = [p for p in (relation.schemaname, relation.relname) if p]
    return ".".join('"' + str(p).replace('"', '""') + '"' for p in parts)
