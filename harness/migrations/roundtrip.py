"""The up -> down -> up round trip: dump the schema before (A), after up (B), after down (C)
and after up again (D); the down must restore A, the second up must reproduce B, and
``_migrations`` must follow each step. The catalog change A -> B joins the classification."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from pglast import ast

from harness.io.db.dump import dump_schema
from harness.io.db.providers import PgDump, PostgresServer
from harness.io.db.schema import Schema, SchemaComparison, Verdict, changes, compare
from harness.io.db.server_info import server_info
from harness.migrations.discovery import Migration, MigrationSet
from harness.migrations.facts import read_facts
from harness.migrations.rules import Category, Classification, classify, fold_catalog
from harness.migrations.runner import (
    MigrationFailed,
    applied_versions,
    apply_down,
    apply_up,
)

# Statements that change data (or nothing), never the schema: a file of only these may
# leave the schema as it was.
_NO_SCHEMA_CHANGE = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.SelectStmt,
                     ast.TruncateStmt, ast.TransactionStmt, ast.VariableSetStmt,
                     ast.ReindexStmt, ast.VacuumStmt)


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float


@dataclass(frozen=True)
class RoundTrip:
    """The round trip of one migration. ``status``: passed, failed or irreversible."""

    version: str
    name: str
    status: str
    classification: Classification
    down_vs_before: SchemaComparison | None
    reapply_vs_up: SchemaComparison | None
    schema_changed: bool
    failures: tuple[str, ...]
    notes: tuple[str, ...]
    phases: tuple[Phase, ...]

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass(frozen=True)
class RoundTripReport:
    database: str
    results: tuple[RoundTrip, ...]
    not_run: tuple[str, ...] = field(default=())
    server: str = ""  # which PostgreSQL: kind and version (ServerInfo.label)
    forward_only: tuple[str, ...] = field(default=())  # applied up only (--since)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results) and not self.not_run


def roundtrip_migration(dsn: str, migration: Migration, pg_dump: PgDump, *,
                        reapply: bool = True) -> RoundTrip:
    """Round-trip ``migration`` on the database at ``dsn``, which must be at the schema just
    before it. With ``reapply`` the database ends after up (ready for the next migration);
    without it, after down (back where it started, as the drill needs). A down that does not
    restore the schema stops the round trip there."""
    return _round_trip(dsn, migration, pg_dump, reapply=reapply).result()


def _round_trip(dsn: str, migration: Migration, pg_dump: PgDump, *, reapply: bool,
                before: Schema | None = None) -> _Trip:
    """The trip, run; ``before`` is the database's schema when the caller already dumped it
    (the previous trip's last dump), else it is dumped first."""
    trip = _Trip(dsn, migration, pg_dump, before)
    try:
        trip.run(reapply)
    except MigrationFailed as exc:
        trip.failures.append(exc.render())
    return trip


class _Trip:
    """The state of one round trip while it runs."""

    def __init__(self, dsn: str, migration: Migration, pg_dump: PgDump,
                 before: Schema | None) -> None:
        self.dsn, self.migration, self.pg_dump, self.before = dsn, migration, pg_dump, before
        # The last schema dumped: the database's schema whenever the trip ends without failure.
        self.last: Schema | None = None
        self.classification = classify(migration.version, migration.name,
                                       migration.forward.path, migration.forward.statements)
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.phases: list[Phase] = []
        self.down_vs_before: SchemaComparison | None = None
        self.reapply_vs_up: SchemaComparison | None = None
        self.schema_changed = False
        self.irreversible = False

    def run(self, reapply: bool) -> None:
        migration = self.migration
        # The database at hand answers what the file cannot (function volatility, ...).
        self.classification = classify(migration.version, migration.name,
                                       migration.forward.path, migration.forward.statements,
                                       read_facts(self.dsn, migration))
        a = self.before if self.before is not None else self.dump()
        self.step("up", apply_up, expect_listed=True)
        b = self.dump()
        self.classification = fold_catalog(self.classification, changes(a, b),
                                           migration.forward.statements)
        self.schema_changed = a.text() != b.text()
        if not self.schema_changed:
            if _data_only(migration):
                self.notes.append("data-only (or maintenance) migration: the schema is "
                                  "unchanged, as expected")
            else:
                self.failures.append("the forward file changed nothing in the schema (before "
                                     "== after up): is it applied to the right database?")
        if not migration.reversible:
            reason = migration.irreversible.reason if migration.irreversible else "no down file"
            self.notes.append(f"irreversible ({reason}): down not exercised; the "
                              "pre-migration snapshot is the way back")
            self.irreversible = True
            return
        self.step("down", apply_down, expect_listed=False)
        self.down_vs_before = compare(a, self.dump(), left_label="before up",
                                      right_label="after down")
        if self.down_vs_before.verdict is Verdict.DIFFERENT:
            self.failures.append("the down file does not restore the schema from before the "
                                 "migration")
            return
        if self.down_vs_before.verdict is Verdict.EQUIVALENT:
            self.notes.append(self.down_vs_before.summary + ": code relying on column "
                              "positions (SELECT *, INSERT without a column list) would notice")
        if reapply:
            self.step("up again", apply_up, expect_listed=True)
            self.reapply_vs_up = compare(b, self.dump(), left_label="after up",
                                         right_label="after up-down-up")
            if self.reapply_vs_up.verdict is not Verdict.IDENTICAL:
                self.failures.append("applying the forward file again after its down does not "
                                     "give the same schema as the first time")

    def dump(self) -> Schema:
        self.last = dump_schema(self.dsn, self.pg_dump).schema
        return self.last

    def step(self, name: str, action: Callable[[str, Migration], object], *,
             expect_listed: bool) -> None:
        started = time.monotonic()
        action(self.dsn, self.migration)
        self.phases.append(Phase(name, time.monotonic() - started))
        listed = self.migration.version in applied_versions(self.dsn)
        if listed != expect_listed:
            self.failures.append(
                f"after {name}: _migrations {'lists' if listed else 'lacks'} "
                f"{self.migration.version}, expected it {'listed' if expect_listed else 'absent'}")

    def result(self) -> RoundTrip:
        status = ("failed" if self.failures else "irreversible" if self.irreversible
                  else "passed")
        return RoundTrip(self.migration.version, self.migration.name, status,
                         self.classification, self.down_vs_before, self.reapply_vs_up,
                         self.schema_changed, tuple(self.failures), tuple(self.notes),
                         tuple(self.phases))


def roundtrip_directory(server: PostgresServer, migrations: MigrationSet, *,
                        since: str | None = None, template: str | None = None,
                        keep: bool = False) -> RoundTripReport:
    """Round-trip every migration (or those after version ``since``, applying the earlier
    ones forward only) on a scratch database created on ``server`` and dropped afterwards."""
    migrations.raise_for_problems()
    pg_dump = server.pg_dump()
    scratch = f"harness_roundtrip_{uuid.uuid4().hex[:12]}"
    dsn = server.create_database(scratch, template=template)
    results: list[RoundTrip] = []
    not_run: list[str] = []
    forward_only: list[str] = []
    # One trip's last dump is the next one's "before": the database has not changed since.
    at: Schema | None = None
    try:
        label = server_info(dsn, server.kind).label
        for migration in migrations.migrations:
            if results and not results[-1].ok:
                not_run.append(migration.version)
                continue
            if since is not None and migration.version <= since:
                apply_up(dsn, migration)
                forward_only.append(migration.version)
                at = None
                continue
            trip = _round_trip(dsn, migration, pg_dump, reapply=True, before=at)
            results.append(trip.result())
            at = trip.last
    finally:
        if not keep:
            server.drop_database(scratch)
    return RoundTripReport(scratch, tuple(results), tuple(not_run), label, tuple(forward_only))


def worst(report: RoundTripReport) -> Category:
    ranks = [r.classification.category for r in report.results]
    return max(ranks, key=lambda c: c.rank, default=Category.COMPATIBLE)


def _data_only(migration: Migration) -> bool:
    return all(isinstance(s.node, _NO_SCHEMA_CHANGE) for s in migration.forward.statements)
