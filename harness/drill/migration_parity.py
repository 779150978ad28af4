"""Drill step 3: a harmless, reversible test migration applied to a tier's database, its
down run, and the schema compared with how it was before. Everything it creates carries the
drill id and is removed afterwards, whatever the outcome."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from harness.evidence.journal import CheckRecord
from harness.io.db.dump import pg_dump_for
from harness.io.db.schema import Verdict
from harness.io.db.server_info import server_info
from harness.migrations.discovery import Migration, load
from harness.migrations.roundtrip import RoundTrip, roundtrip_migration
from harness.migrations.runner import BOOKKEEPING_TABLE

_DRILL_ID = re.compile(r"^[a-z0-9_]{1,40}$")

_FORWARD = """-- Drill {drill_id}: a reversible test migration written by the harness.
-- It only adds objects of its own, so old application code never notices it.
CREATE TABLE {table} (
    id bigint PRIMARY KEY,
    note text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX {table}_created_idx ON {table} (created_at);
COMMENT ON TABLE {table} IS 'harness rollback drill {drill_id}: safe to drop';
"""
_DOWN = """DROP INDEX {table}_created_idx;
DROP TABLE {table};
"""
# The deliberately wrong down, for proving that step 3 fails when parity does not hold: it
# forgets the table and only drops the index.
_WRONG_DOWN = """DROP INDEX {table}_created_idx;
"""


@dataclass(frozen=True)
class DrillMigration:
    drill_id: str
    table: str
    migration: Migration
    wrong_down: bool


def write_drill_migration(directory: Path, drill_id: str, *, wrong_down: bool = False,
                          at: datetime | None = None) -> DrillMigration:
    """Write the test migration's forward and down files into ``directory`` and load them
    through the same pairing checks as any migration."""
    if not _DRILL_ID.match(drill_id):
        raise ValueError(f"drill id {drill_id!r} must be 1-40 of a-z, 0-9, _")
    version = (at or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    table = f"harness_drill_{drill_id}"
    stem = f"{version}_harness_drill_{drill_id}"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.sql").write_text(_FORWARD.format(drill_id=drill_id, table=table))
    down = _WRONG_DOWN if wrong_down else _DOWN
    (directory / f"{stem}.down.sql").write_text(down.format(table=table))
    (migration,) = load(directory).migrations
    return DrillMigration(drill_id, table, migration, wrong_down)


def run_step3(dsn: str, drill: DrillMigration, *, pg_dump_path: str | None = None) -> RoundTrip:
    """Apply the test migration, run its down, compare the schemas (the database is left as
    it was found when the down is right; ``clean_up`` handles the other case)."""
    return roundtrip_migration(dsn, drill.migration, pg_dump_for(dsn, configured=pg_dump_path),
                               reapply=False)


def clean_up(dsn: str, drill: DrillMigration) -> None:
    """Remove whatever the test migration left behind (its table, its _migrations row)."""
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(
            sql.Identifier(drill.table)))
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                              (BOOKKEEPING_TABLE,)).fetchone()
        if exists and exists[0]:
            conn.execute(sql.SQL("DELETE FROM {} WHERE version = %s").format(
                sql.Identifier(BOOKKEEPING_TABLE)), (drill.migration.version,))


def prepare(dsn: str, directory: Path, on_finish: Callable[[Callable[[], None]], None], *,
            wrong_down: bool = False) -> DrillMigration:
    """Write a test migration with a fresh drill id and register its clean-up."""
    drill = write_drill_migration(directory / "step3", f"s3_{uuid.uuid4().hex[:10]}",
                                  wrong_down=wrong_down)
    on_finish(lambda: clean_up(dsn, drill))
    return drill


def record(result: RoundTrip, notes: CheckRecord, dsn: str) -> RoundTrip:
    """Put what step 3 did into the evidence: which server, phases, verdict, failures, the
    changed objects and any diff."""
    phases = ", ".join(f"{p.name} {p.seconds:.3f} s" for p in result.phases)
    comparison = result.down_vs_before
    parity = comparison.summary if comparison else "down not run"
    notes.note(f"{parity}; test migration {result.name} ({phases}) on "
               f"{server_info(dsn, kind='').label}")
    if comparison is not None:
        for change in comparison.changes:
            notes.note(f"changed: {change}")
    if comparison is not None and comparison.verdict is not Verdict.IDENTICAL:
        notes.attach("schema before up vs after down", "diff", comparison.diff)
    for line in result.failures + result.notes:
        notes.note(line)
    return result
