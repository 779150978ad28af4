"""Data fingerprints compared, and the verdict on a restored copy: same fingerprint as the
source at the snapshot, the canary written before the snapshot present, the row written
after it absent. Pure: ``harness.io.db.fingerprint`` computes the fingerprints."""

from __future__ import annotations

from dataclasses import dataclass

CANARY_TABLE = "harness_drill_canary"
BEFORE = "before-snapshot"
AFTER = "after-snapshot"


@dataclass(frozen=True)
class TableFingerprint:
    table: str  # schema.name
    rows: int
    digest: str


@dataclass(frozen=True)
class Fingerprint:
    tables: tuple[TableFingerprint, ...]
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def by_table(self) -> dict[str, TableFingerprint]:
        return {t.table: t for t in self.tables}


@dataclass(frozen=True)
class TableDifference:
    table: str
    expected: TableFingerprint | None
    actual: TableFingerprint | None

    def describe(self) -> str:
        if self.actual is None:
            return f"{self.table}: missing from the copy"
        if self.expected is None:
            return f"{self.table}: only in the copy ({self.actual.rows} rows)"
        if self.expected.rows != self.actual.rows:
            return f"{self.table}: {self.actual.rows} rows, expected {self.expected.rows}"
        return f"{self.table}: same {self.actual.rows} rows but different content (hash)"


def compare(expected: Fingerprint, actual: Fingerprint) -> tuple[TableDifference, ...]:
    """Per-table differences between two fingerprints (empty = identical)."""
    want, got = expected.by_table(), actual.by_table()
    return tuple(TableDifference(name, want.get(name), got.get(name))
                 for name in sorted(want.keys() | got.keys()) if want.get(name) != got.get(name))


def table_rows(expected: Fingerprint, actual: Fingerprint | None) -> dict[str, object]:
    """Source vs copy as an evidence table attachment (``{"columns": ..., "rows": ...}``)."""
    got = actual.by_table() if actual else {}
    rows: list[list[object]] = []
    for t in expected.tables:
        other = got.get(t.table)
        rows.append([t.table, t.rows, t.digest, other.rows if other else "-",
                     other.digest if other else "-",
                     "match" if other == t else ("not checked" if actual is None else "DIFFERS")])
    return {"columns": ["table", "source rows", "source hash", "copy rows", "copy hash", "result"],
            "rows": rows}




@dataclass(frozen=True)
class CopyVerdict:
    differences: tuple[TableDifference, ...]
    canary_present: bool
    after_row_absent: bool

    @property
    def ok(self) -> bool:
        return not self.differences and self.canary_present and self.after_row_absent

    def problems(self) -> list[str]:
        found = [d.describe() for d in self.differences]
        if not self.canary_present:
            found.append(f"the canary row written before the snapshot ({BEFORE}) is missing")
        if not self.after_row_absent:
            found.append(f"the row written after the snapshot ({AFTER}) is present: the copy "
                         "is not the snapshot")
        return found

    def summary(self) -> str:
        if self.ok:
            return ("fingerprint matches, canary present, post-snapshot row absent")
        return "; ".join(self.problems())


def judge(expected: Fingerprint, actual: Fingerprint,
          markers: frozenset[str] | None) -> CopyVerdict:
    """``expected`` was taken at the snapshot (canary included); ``markers`` are the drill's
    canary markers found in the copy (None when no canary was written: not checked)."""
    if markers is None:
        return CopyVerdict(compare(expected, actual), True, True)
    return CopyVerdict(compare(expected, actual), BEFORE in markers, AFTER not in markers)
