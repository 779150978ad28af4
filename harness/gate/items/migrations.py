"""The gate's two migration items. The cycle's migrations are the files in the migrations
directory whose version prod's ``_migrations`` does not hold yet: they must be recorded in
staging's ``_migrations``, their downs must run (down, then up again, on a scratch copy of
staging's schema, giving staging's schema back), and each needs a ready down file, a
classification and the runbook's sequencing relative to the deploy."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from harness.errors import CheckFailed
from harness.gate.types import ItemResult
from harness.io.db.copy import copy_schema
from harness.io.db.dump import dump_schema, pg_dump_for
from harness.io.db.providers import PostgresServer
from harness.io.db.schema import Verdict, compare
from harness.migrations.discovery import (
    Migration,
    MigrationPattern,
    MigrationSet,
    Problem,
    discover,
)
from harness.migrations.rules import Category, classify
from harness.migrations.runner import applied_versions, apply_down, apply_up

ADVICE = {
    Category.COMPATIBLE: "may be applied to prod right after the deploy (old code keeps "
                         "working with it)",
    Category.RISKY: "review the findings; unless cleared, treat as breaking: manual "
                    "pre-migration snapshot, apply BEFORE dispatching the promote workflow",
    Category.BREAKING: "take a manual pre-migration prod snapshot and apply it BEFORE "
                       "dispatching the promote workflow (the workflow's own snapshot comes "
                       "too late to restore to)",
}


@dataclass(frozen=True)
class CycleMigrations:
    found: MigrationSet
    prod_applied: tuple[str, ...]
    staging_applied: tuple[str, ...]

    @property
    def pending(self) -> tuple[Migration, ...]:
        """Migrations in the directory that prod has not applied, oldest first."""
        done = set(self.prod_applied)
        return tuple(m for m in self.found.migrations if m.version not in done)

    def problems_of(self, migration: Migration) -> list[Problem]:
        paths = {migration.forward.path, *([migration.down.path] if migration.down else [])}
        return [p for p in self.found.problems if p.path in paths]


def read_cycle(directory: Path, pattern: MigrationPattern, prod_dsn: str,
               staging_dsn: str) -> CycleMigrations:
    return CycleMigrations(discover(directory, pattern), applied_versions(prod_dsn),
                           applied_versions(staging_dsn))


def recorded_on_staging(cycle: CycleMigrations) -> ItemResult:
    pending = cycle.pending
    if not pending:
        return ItemResult("not_applicable", "not applicable: no migration in this cycle (prod's "
                                            "_migrations holds every file in the directory)")
    missing = [m.name for m in pending if m.version not in cycle.staging_applied]
    names = ", ".join(m.version for m in pending)
    if missing:
        return ItemResult("failed", f"{len(missing)} of {len(pending)} cycle migration(s) not "
                                    f"recorded in staging's _migrations: {', '.join(missing)}",
                          details=(f"cycle migrations: {names}",),
                          fix="apply them to staging first (the runner records each in "
                              "_migrations), then re-run the gate")
    return ItemResult("passed", f"{len(pending)} cycle migration(s) recorded in staging's "
                                f"_migrations: {names}")


def downs_exercised(cycle: CycleMigrations, staging_dsn: str,
                    scratch: PostgresServer) -> ItemResult:
    """Down (newest first) then up again, on a scratch copy of staging's schema; the result
    must be staging's schema exactly. Migrations without a down are left to the
    pending-migrations item (which fails on them); the downs before one cannot be reached."""
    pending = cycle.pending
    if not pending:
        return ItemResult("not_applicable", "not applicable: no migration in this cycle")
    runnable: list[Migration] = []
    for migration in reversed(pending):
        if not migration.reversible:
            break
        runnable.insert(0, migration)
    unreached = [m.version for m in pending if m not in runnable]
    notes = ([f"not exercised (no down at or after {unreached[-1]}; the pending-migrations "
              f"item reports it): {', '.join(unreached)}"] if unreached else [])
    if not runnable:
        return ItemResult("passed", "no down to exercise: the newest cycle migration has none "
                                    "(reported by the pending-migrations item)",
                          details=tuple(notes))
    pg_dump = pg_dump_for(staging_dsn, scratch.dsn("postgres"))
    name = f"harness_gate_{uuid.uuid4().hex[:12]}"
    scratch_dsn = scratch.create_database(name, template="template0")
    try:
        copy_schema(staging_dsn, scratch_dsn, pg_dump)
        staging = dump_schema(staging_dsn, pg_dump).schema
        for migration in reversed(runnable):
            apply_down(scratch_dsn, migration)
        for migration in runnable:
            apply_up(scratch_dsn, migration)
        after = dump_schema(scratch_dsn, pg_dump).schema
    except CheckFailed as exc:
        return ItemResult("failed", f"a down or re-applied migration failed on the scratch copy: "
                                    f"{exc.what}", details=tuple(notes), fix=exc.fix)
    finally:
        scratch.drop_database(name)
    comparison = compare(staging, after, left_label="staging",
                         right_label="scratch copy after down + up")
    versions = ", ".join(m.version for m in runnable)
    details = (f"exercised on scratch database {name} (dropped): downs of {versions} newest "
               "first, then the migrations again", *notes)
    if comparison.verdict is Verdict.IDENTICAL:
        return ItemResult("passed", f"down + up of {len(runnable)} cycle migration(s) gives "
                                    "staging's schema back (identical)", details=details)
    return ItemResult("failed", f"down + up does not give staging's schema back: "
                                f"{comparison.summary}", details=(*details, comparison.diff),
                      fix="make each down undo exactly what its migration does")


def downs_ready(cycle: CycleMigrations) -> ItemResult:
    pending = cycle.pending
    if not pending:
        return ItemResult("not_applicable", "not applicable: nothing pending for prod")
    unready = []
    for migration in pending:
        problems = cycle.problems_of(migration)
        if not migration.reversible or problems:
            why = f"{problems[0].path.name}: {problems[0].message}" if problems else (
                f"down marked irreversible: {migration.irreversible.reason}"
                if migration.irreversible else "no down file")
            unready.append(f"{migration.name}: {why}")
    if unready:
        return ItemResult("failed", f"{len(unready)} of {len(pending)} pending migration(s) have "
                                    f"no down ready: {unready[0]}", details=tuple(unready),
                          fix="write the down file next to each (harness migrations lint "
                              "lists them)")
    return ItemResult("passed", f"{len(pending)} migration(s) pending for prod, each with its "
                                "down ready")


def sequencing(cycle: CycleMigrations) -> ItemResult:
    """Classification and the order relative to the deploy, one row per pending migration."""
    rows = []
    for migration in cycle.pending:
        result = classify(migration.version, migration.name, migration.forward.path,
                          migration.forward.statements)
        findings = "; ".join(f"{f.rule} {f.obj}" for f in result.findings[:3])
        rows.append({"version": migration.version, "name": migration.name,
                     "classification": str(result.category),
                     "down": "ready" if migration.reversible else "missing",
                     "findings": findings,
                     "advice": ADVICE.get(result.category, ADVICE[Category.RISKY])})
    before = [r["version"] for r in rows if r["classification"] != str(Category.COMPATIBLE)]
    summary = (f"apply BEFORE dispatch (manual snapshot first): {', '.join(before)}" if before
               else "all backward-compatible: apply after the deploy")
    lines = tuple(f"{r['version']} {r['classification']}: {r['advice']}" for r in rows)
    return ItemResult("passed", f"sequencing: {summary}", details=lines, table=tuple(rows))
