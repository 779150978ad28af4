"""Backward-compatibility classification of a migration: the rules (each with its squawk /
Atlas reference and a one-line reason), the findings they produce and the verdict (the
worst finding). The checks on the parse tree live in ``checks``. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from harness.migrations.checks import check_statements
from harness.migrations.statements import Statement
from harness.migrations.volatility import Facts

if TYPE_CHECKING:  # the catalog diff (and difflib) is the round trip's; lint needs neither
    from harness.io.db.schema import Change


class Category(StrEnum):
    COMPATIBLE = "backward-compatible"
    RISKY = "risky"
    BREAKING = "breaking"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"note": 0, "backward-compatible": 0, "risky": 1, "breaking": 2}[self.value]


@dataclass(frozen=True)
class Rule:
    id: str
    category: Category
    reason: str
    squawk: str = ""
    atlas: str = ""

    @property
    def reference(self) -> str:
        """``squawk adding-field-with-default, Atlas PG302`` (empty when neither has one)."""
        parts = [f"squawk {self.squawk}" if self.squawk else "",
                 f"Atlas {self.atlas}" if self.atlas else ""]
        return ", ".join(p for p in parts if p)


B, R, N = Category.BREAKING, Category.RISKY, Category.NOTE
_RULES = (
    Rule("drop-table", B, "code still reading the table fails, and its data is gone",
         "ban-drop-table", "DS102"),
    Rule("drop-column", B, "old code selecting or inserting the column fails",
         "ban-drop-column", "DS103"),
    Rule("drop-schema", B, "every object in the schema is gone", "ban-drop-schema", "DS101"),
    Rule("drop-view", B, "old code reading the view fails", "ban-drop-view"),
    Rule("rename-table", B, "old code uses the old name (or schema)", "renaming-table",
         "BC101"),
    Rule("rename-column", B, "old code uses the old column name", "renaming-column", "BC102"),
    Rule("rename-enum-value", B, "old code writing the old value fails"),
    Rule("change-column-type", B, "old code may send or expect the old type; most type "
         "changes rewrite the table under an ACCESS EXCLUSIVE lock", "changing-column-type",
         "PG301"),
    Rule("add-required-column", B, "NOT NULL without a default: inserts by old code, which "
         "does not set the column, fail", "adding-required-field", "MF103"),
    Rule("truncate", B, "every row of the table is removed", "ban-truncate-cascade"),
    Rule("delete-without-where", B, "every row of the table is removed"),
    Rule("set-not-null", R, "fails if a NULL is already stored and scans the whole table "
         "under an ACCESS EXCLUSIVE lock; old writers leaving it NULL then fail "
         "(add a NOT VALID CHECK (col IS NOT NULL), validate it, then SET NOT NULL)",
         "adding-not-nullable-field", "MF104, PG303"),
    Rule("update-without-where", R, "rewrites every row; the result depends on the data"),
    Rule("unique-on-existing-columns", R, "fails if duplicates exist; builds the index under a "
         "lock that blocks writes", "disallowed-unique-constraint", "MF101, PG105"),
    Rule("create-index-not-concurrently", R, "blocks writes to the table while the index "
         "builds (use CREATE INDEX CONCURRENTLY)", "require-concurrent-index-creation",
         "PG101"),
    Rule("drop-index-not-concurrently", R, "takes an ACCESS EXCLUSIVE lock on the table "
         "(use DROP INDEX CONCURRENTLY)", "require-concurrent-index-deletion", "PG102"),
    Rule("reindex-not-concurrently", R, "blocks writes (and reads using the index) while it "
         "rebuilds (use REINDEX ... CONCURRENTLY)", "require-concurrent-reindex"),
    Rule("add-foreign-key-validated", R, "scans the table under a SHARE ROW EXCLUSIVE lock "
         "on both tables (add it NOT VALID, validate in a later migration)",
         "adding-foreign-key-constraint", "PG306"),
    Rule("add-check-validated", R, "scans the table under an ACCESS EXCLUSIVE lock and fails "
         "if a row violates it (add it NOT VALID, validate in a later migration)",
         "constraint-missing-not-valid", "PG305"),
    Rule("validate-in-same-transaction", R, "the constraint was added NOT VALID in this file: "
         "validating it in the same transaction keeps the ADD's ACCESS EXCLUSIVE lock "
         "through the validating scan (validate in a later migration)",
         "constraint-missing-not-valid", "PG305, PG306"),
    Rule("add-column-volatile-default", R, "a volatile default is evaluated per row: the "
         "table is rewritten under an ACCESS EXCLUSIVE lock (add the column without it, "
         "backfill in batches, then SET DEFAULT)", "adding-field-with-default", "PG302"),
    Rule("add-column-default-unknown", R, "the default calls a function whose volatility "
         "is unknown without a database; if it is volatile the table is rewritten "
         "(the round trip asks pg_proc)", "adding-field-with-default", "PG302"),
    Rule("add-column-generated-stored", R, "a STORED generated column is computed for every "
         "row: the table is rewritten under an ACCESS EXCLUSIVE lock",
         "adding-field-with-default", "PG309"),
    Rule("add-column-identity", R, "an identity column is filled for every row: the table "
         "is rewritten under an ACCESS EXCLUSIVE lock", "adding-serial-primary-key-field",
         "PG310"),
    Rule("attach-partition", R, "scans the attached table to check the partition bound "
         "(unless a matching CHECK exists) under an ACCESS EXCLUSIVE lock on it"),
    Rule("detach-partition-not-concurrently", R, "takes an ACCESS EXCLUSIVE lock on the "
         "parent (use DETACH PARTITION ... CONCURRENTLY); its rows leave the parent",
         "require-concurrent-partition-detach"),
    Rule("concurrent-index-on-partitioned-table", R, "PostgreSQL refuses CREATE INDEX "
         "CONCURRENTLY on a partitioned table: the migration fails (index each partition "
         "CONCURRENTLY, then CREATE INDEX ON ONLY the parent and ATTACH each)"),
    Rule("enum-value-used-in-same-file", R, "a value added by ALTER TYPE ... ADD VALUE "
         "cannot be used before that transaction commits (\"unsafe use of new value\"): "
         "the file fails (add the value in its own migration)", "ban-add-enum-value"),
    Rule("do-block", R, "DDL inside a DO block is invisible to a parser; the round trip's "
         "catalog diff judges it"),
    Rule("drop-not-null", N, "metadata only, old code keeps working; old readers may now "
         "see NULLs", "ban-drop-not-null"),
    Rule("transaction-control", N, "the wrapping BEGIN/COMMIT is skipped: the runner wraps "
         "the file in one transaction itself", "transaction-nesting", "TX201"),
)
RULES: dict[str, Rule] = {r.id: r for r in _RULES}

# A catalog change and the static rules that already explain it.
_CHANGE_RULE = {
    "table-dropped": ("drop-table", {"drop-table", "rename-table"}),
    "column-dropped": ("drop-column", {"drop-column", "rename-column", "drop-table"}),
    "column-type-changed": ("change-column-type", {"change-column-type"}),
    "not-null-added": ("set-not-null", {"set-not-null"}),
    "not-null-dropped": ("drop-not-null", {"drop-not-null"}),
    "required-column-added": ("add-required-column", {"add-required-column"}),
    "view-dropped": ("drop-view", {"drop-view"}),
    "schema-dropped": ("drop-schema", {"drop-schema"}),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    category: Category
    path: str
    line: int | None
    obj: str
    message: str
    source: str = "static"  # static (from the parse tree) | catalog (from the round trip)
    column: int | None = None

    @property
    def where(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}" + (f":{self.column}" if self.column else "")

    @property
    def reason(self) -> str:
        return RULES[self.rule].reason

    @property
    def reference(self) -> str:
        return RULES[self.rule].reference


@dataclass(frozen=True)
class Classification:
    version: str
    name: str
    category: Category
    findings: tuple[Finding, ...]


def finding(rule_id: str, path: str, stmt: Statement | None, obj: str,
            detail: str = "") -> Finding:
    """A finding of ``rule_id`` at ``stmt``; ``detail`` says what exactly (object, value)."""
    rule = RULES[rule_id]
    return Finding(rule.id, rule.category, path, stmt.line if stmt else None, obj,
                   detail or rule.id, column=stmt.column if stmt else None)


def classify(version: str, name: str, path: Path | str, statements: Sequence[Statement],
             facts: Facts | None = None) -> Classification:
    """Classify one forward file from its statements (``facts``: what a database or the
    earlier migrations of the directory tell, e.g. function volatility)."""
    findings = tuple(finding(hit.rule, str(path), hit.statement, hit.obj, hit.detail)
                     for hit in check_statements(statements, facts or Facts()))
    return Classification(version, name, verdict(findings), findings)


def verdict(findings: Sequence[Finding]) -> Category:
    worst = max((f.category.rank for f in findings), default=0)
    return {0: Category.COMPATIBLE, 1: Category.RISKY, 2: Category.BREAKING}[worst]


def fold_catalog(result: Classification, changes: Sequence[Change],
                 statements: Sequence[Statement] = ()) -> Classification:
    """Add what the catalog diff saw and the SQL text did not (e.g. DDL inside a DO block).

    A catalog finding is attributed to the file's DO block when there is exactly one."""
    explained = {(f.rule, f.obj) for f in result.findings}
    dropped_schemas = {f.obj for f in result.findings if f.rule == "drop-schema"}
    do_blocks = [s for s in statements if s.kind == "DoStmt"]
    block = do_blocks[0] if len(do_blocks) == 1 else None
    path = result.findings[0].path if result.findings else result.name
    added: list[Finding] = []
    for change in changes:
        rule_id, covered_by = _CHANGE_RULE[change.kind]
        obj = _unqualified(change.obj)
        if (any((r, obj) in explained for r in covered_by)
                or change.obj.split(".", 1)[0] in dropped_schemas):
            continue
        added.append(replace(finding(rule_id, path, block, obj, f"catalog diff: {change.detail}"),
                             source="catalog"))
    findings = result.findings + tuple(added)
    return replace(result, findings=findings, category=verdict(findings))


def _unqualified(obj: str) -> str:
    """``public.users.email`` -> ``users.email``; ``public.users`` -> ``users``."""
    parts = obj.split(".")
    return ".".join(parts[1:]) if len(parts) > 1 else obj
