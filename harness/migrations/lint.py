"""``migrations lint``: pairing problems plus the classification of every forward file.
No database involved."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.migrations.discovery import MigrationPattern, MigrationSet, discover
from harness.migrations.rules import Category, Classification, classify


@dataclass(frozen=True)
class LintReport:
    migrations: MigrationSet
    classifications: tuple[Classification, ...]

    @property
    def ok(self) -> bool:
        return self.migrations.ok

    def failing(self, fail_on: Category | None) -> bool:
        """True when pairing problems exist, or a migration is at least ``fail_on``."""
        if not self.ok:
            return True
        if fail_on is None:
            return False
        return any(c.category.rank >= fail_on.rank for c in self.classifications)


def lint(directory: Path | str, pattern: MigrationPattern | None = None) -> LintReport:
    found = discover(directory, pattern)
    classified = tuple(classify(m.version, m.name, m.forward.path, m.forward.statements)
                       for m in found.migrations)
    return LintReport(found, classified)

