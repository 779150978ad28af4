"""``migrations lint``: pairing and syntax problems plus the classification of every forward
file, each knowing what the earlier files created (e.g. partitioned tables). No database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.migrations.checks import partitioned_tables
from harness.migrations.discovery import BAD_INPUT, MigrationPattern, MigrationSet, discover
from harness.migrations.rules import Category, Classification, classify
from harness.migrations.volatility import Facts


@dataclass(frozen=True)
class LintReport:
    migrations: MigrationSet
    classifications: tuple[Classification, ...]

    @property
    def ok(self) -> bool:
        return self.migrations.ok

    @property
    def bad_input(self) -> bool:
        """SQL PostgreSQL cannot parse, an unreadable file or no migration at all (exit 2)."""
        return any(p.code in BAD_INPUT for p in self.migrations.problems)

    def failing(self, fail_on: Category | None) -> bool:
        """True when pairing problems exist, or a migration is at least ``fail_on``."""
        if not self.ok:
            return True
        if fail_on is None:
            return False
        return any(c.category.rank >= fail_on.rank for c in self.classifications)


def lint(directory: Path | str, pattern: MigrationPattern | None = None) -> LintReport:
    found = discover(directory, pattern)
    return LintReport(found, classify_all(found))


def classify_all(found: MigrationSet, facts: Facts | None = None) -> tuple[Classification, ...]:
    """Classify each forward file in order, telling each what the earlier ones created. A
    file that could not be read or parsed is not classified (it has no verdict to give)."""
    unusable = {p.path for p in found.problems if p.code in BAD_INPUT}
    known = facts or Facts()
    classified = []
    for migration in found.migrations:
        if migration.forward.path in unusable:
            continue
        statements = migration.forward.statements
        known = known.with_partitioned(partitioned_tables(statements))
        classified.append(classify(migration.version, migration.name, migration.forward.path,
                                   statements, known))
    return tuple(classified)
