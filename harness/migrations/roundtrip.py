"""The up -> down -> up round trip: dump the schema before (A), after up (B), after down (C)
and after up again (D); the down must restore A, the second up must reproduce B, and
``_migrations`` must follow each step. The catalog change A -> B joins the classification."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.db.dump import dump_schema
from harness.db.providers import PgDump, PostgresServer
from harness.db.schema import SchemaComparison, Verdict, changes, compare
from harness.migrations.discovery import Migration, MigrationSet
from harness.migrations.rules import Category, Classification, classify, fold_catalog
from harness.migrations.runner import (
    MigrationFailed,
    applied_versions,
    apply_down,
    apply_up,
)

_DML = frozenset({"INSERT", "UPDATE", "DELETE", "TRANSACTION", "SELECT", "WITH"})


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

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results) and not self.not_run


def roundtrip_migration(dsn: str, migration: Migration, pg_dump: PgDump, *,
                        reapply: bool = True) -> RoundTrip:
    """Round-trip ``migration`` on the database at ``dsn``, which must be at the schema just
    before it. With ``reapply`` the database ends after up (ready for the next migration);
    without it, after down (back where it started, as the drill needs)."""
    failures: list[str] = []
    notes: list[str] = []
    phases: list[Phase] = []
    path = str(migration.forward.path)
    static = classify(migration.version, migration.name, path, migration.forward.statements)

    def timed(name: str, action: Callable[[], object]) -> object:
        started = time.monotonic()
        result = action()
        phases.append(Phase(name, time.monotonic() - started))
        return result

    def bookkeeping(stage: str, expect_present: bool) -> None:
        present = migration.version in applied_versions(dsn)
        if present != expect_present:
            failures.append(f"after {stage}: _migrations {'lists' if present else 'lacks'} "
                            f"{migration.version}, expected it "
                            f"{'listed' if expect_present else 'absent'}")

    def failed(exc: MigrationFailed, classification: Classification) -> RoundTrip:
        failures.append(exc.render())
        return RoundTrip(migration.version, migration.name, "failed", classification, None,
                         None, False, tuple(failures), tuple(notes), tuple(phases))

    a = dump_schema(dsn, pg_dump).schema
    try:
        timed("up", lambda: apply_up(dsn, migration))
    except MigrationFailed as exc:
        return failed(exc, static)
    bookkeeping("up", True)
    b = dump_schema(dsn, pg_dump).schema
    classification = fold_catalog(static, changes(a, b), migration.forward.statements)
    schema_changed = a.text() != b.text()
    if not schema_changed:
        if _data_only(migration):
            notes.append("data-only migration: the schema is unchanged, as expected")
        else:
            failures.append("the forward file changed nothing in the schema (before == after "
                            "up): is it applied to the right database?")
    if not migration.reversible:
        reason = migration.irreversible.reason if migration.irreversible else "no down file"
        notes.append(f"irreversible ({reason}): down not exercised; the pre-migration "
                     "snapshot is the way back")
        return RoundTrip(migration.version, migration.name,
                         "failed" if failures else "irreversible", classification, None, None,
                         schema_changed, tuple(failures), tuple(notes), tuple(phases))

    try:
        timed("down", lambda: apply_down(dsn, migration))
    except MigrationFailed as exc:
        return failed(exc, classification)
    bookkeeping("down", False)
    c = dump_schema(dsn, pg_dump).schema
    down_vs_before = compare(a, c, left_label="before up", right_label="after down")
    if down_vs_before.verdict is Verdict.DIFFERENT:
        failures.append("the down file does not restore the schema from before the migration")
    elif down_vs_before.verdict is Verdict.EQUIVALENT:
        notes.append(down_vs_before.summary + ": code relying on column positions "
                     "(SELECT *, INSERT without a column list) would notice")

    reapply_vs_up: SchemaComparison | None = None
    if reapply:
        try:
            timed("up again", lambda: apply_up(dsn, migration))
        except MigrationFailed as exc:
            return failed(exc, classification)
        bookkeeping("up again", True)
        d = dump_schema(dsn, pg_dump).schema
        reapply_vs_up = compare(b, d, left_label="after up", right_label="after up-down-up")
        if reapply_vs_up.verdict is not Verdict.IDENTICAL:
            failures.append("applying the forward file again after its down does not give the "
                            "same schema as the first time")
    return RoundTrip(migration.version, migration.name, "failed" if failures else "passed",
                     classification, down_vs_before, reapply_vs_up, schema_changed,
                     tuple(failures), tuple(notes), tuple(phases))


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
    try:
        for migration in migrations.migrations:
            if results and not results[-1].ok:
                not_run.append(migration.version)
                continue
            if since is not None and migration.version <= since:
                apply_up(dsn, migration)
                continue
            results.append(roundtrip_migration(dsn, migration, pg_dump))
    finally:
        if not keep:
            server.drop_database(scratch)
    return RoundTripReport(scratch, tuple(results), tuple(not_run))


def worst(report: RoundTripReport) -> Category:
    ranks = [r.classification.category for r in report.results]
    return max(ranks, key=lambda c: c.rank, default=Category.COMPATIBLE)


def _data_only(migration: Migration) -> bool:
    return all(s.kind in _DML for s in migration.forward.statements)
