"""Backward-compatibility classification of a migration: each rule that fires names its id,
the file and statement line; the migration's verdict is its worst finding. Pure."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from harness.io.db.schema import Change
from harness.migrations.statements import Statement, Word


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
    summary: str
    squawk: str = ""
    atlas: str = ""


_RULES = (
    Rule("drop-table", Category.BREAKING, "DROP TABLE: code still reading it fails, data is gone",
         "ban-drop-table", "DS102"),
    Rule("drop-column", Category.BREAKING, "DROP COLUMN: old code selecting it fails",
         "ban-drop-column", "DS103"),
    Rule("drop-schema", Category.BREAKING, "DROP SCHEMA: every object in it is gone", "",
         "DS101"),
    Rule("drop-view", Category.BREAKING, "DROP VIEW: old code reading it fails"),
    Rule("rename-table", Category.BREAKING, "table renamed (or moved to another schema): old "
         "code uses the old name", "renaming-table", "BC101"),
    Rule("rename-column", Category.BREAKING, "column renamed: old code uses the old name",
         "renaming-column", "BC102"),
    Rule("change-column-type", Category.BREAKING, "column type changed: old code may send or "
         "expect the old type; most changes rewrite the table under an exclusive lock",
         "changing-column-type", "PG301"),
    Rule("set-not-null", Category.BREAKING, "SET NOT NULL: old writers leaving it NULL fail; "
         "fails outright if a NULL is already stored; scans under an exclusive lock",
         "adding-not-nullable-field", "MF104 / PG303"),
    Rule("add-required-column", Category.BREAKING, "ADD COLUMN ... NOT NULL without a default: "
         "old inserts do not set it and fail", "adding-required-field", "MF103"),
    Rule("drop-not-null", Category.BREAKING, "DROP NOT NULL: old readers may not expect NULL",
         "ban-drop-not-null", ""),
    Rule("truncate", Category.BREAKING, "TRUNCATE: every row of the table is removed",
         "ban-truncate-cascade (CASCADE only)", ""),
    Rule("delete-without-where", Category.BREAKING, "DELETE without WHERE: every row removed"),
    Rule("update-without-where", Category.RISKY, "UPDATE without WHERE: rewrites every row, "
         "result depends on the data"),
    Rule("unique-on-existing-columns", Category.RISKY, "unique index or constraint on an "
         "existing table: fails if duplicates exist", "disallowed-unique-constraint", "MF101"),
    Rule("create-index-not-concurrently", Category.RISKY, "CREATE INDEX without CONCURRENTLY "
         "on an existing table: blocks writes while it builds",
         "require-concurrent-index-creation", "PG101"),
    Rule("drop-index-not-concurrently", Category.RISKY, "DROP INDEX without CONCURRENTLY: "
         "takes an exclusive lock", "require-concurrent-index-deletion", "PG102"),
    Rule("add-foreign-key-validated", Category.RISKY, "FOREIGN KEY added without NOT VALID: "
         "scans both tables under lock", "adding-foreign-key-constraint", "PG306"),
    Rule("add-check-validated", Category.RISKY, "CHECK added without NOT VALID: scans the "
         "table under lock, fails if a row violates it", "constraint-missing-not-valid",
         "PG305"),
    Rule("do-block", Category.RISKY, "DO block: DDL inside it is invisible to the linter; "
         "the round trip's catalog diff is what judges it"),
    Rule("transaction-control", Category.NOTE, "BEGIN/COMMIT in the file: skipped, the runner "
         "wraps each file in one transaction itself", "transaction-nesting", "TX201"),
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
    source: str = "static"  # static (from the SQL text) | catalog (from the round trip)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Classification:
    version: str
    name: str
    category: Category
    findings: tuple[Finding, ...]


def classify(version: str, name: str, path: Path | str,
             statements: Sequence[Statement]) -> Classification:
    """Classify one forward file from its statements."""
    findings = tuple(check_statements(str(path), statements))
    return Classification(version, name, verdict(findings), findings)


def verdict(findings: Sequence[Finding]) -> Category:
    worst = max((f.category.rank for f in findings), default=0)
    return {0: Category.COMPATIBLE, 1: Category.RISKY, 2: Category.BREAKING}[worst]


def fold_catalog(result: Classification, changes: Sequence[Change],
                 statements: Sequence[Statement] = ()) -> Classification:
    """Add what the catalog diff saw and the SQL text did not (e.g. DDL inside a DO block).

    A catalog finding is attributed to the file's DO block when there is exactly one."""
    explained = {(f.rule, f.obj) for f in result.findings}
    do_lines = [s.line for s in statements if s.kind == "DO"]
    line = do_lines[0] if len(do_lines) == 1 else None
    path = result.findings[0].path if result.findings else result.name
    added: list[Finding] = []
    for change in changes:
        rule_id, covered_by = _CHANGE_RULE[change.kind]
        obj = _unqualified(change.obj)
        if any((r, obj) in explained for r in covered_by):
            continue
        rule = RULES[rule_id]
        added.append(Finding(rule.id, rule.category, path, line, obj,
                             f"catalog diff: {change.detail}", source="catalog"))
    findings = result.findings + tuple(added)
    return replace(result, findings=findings, category=verdict(findings))


def check_statements(path: str, statements: Sequence[Statement]) -> Iterator[Finding]:
    created: set[str] = set()
    for stmt in statements:
        yield from _check(path, stmt, created)


def _finding(rule_id: str, path: str, stmt: Statement, obj: str, detail: str = "") -> Finding:
    rule = RULES[rule_id]
    message = rule.summary if not detail else f"{detail}: {rule.summary}"
    return Finding(rule.id, rule.category, path, stmt.line, obj, message)


def _check(path: str, stmt: Statement, created: set[str]) -> Iterator[Finding]:
    words = list(stmt.words)
    kind = stmt.kind
    if kind == "CREATE TABLE":
        name = _name_after(words, 2, skip={"IF", "NOT", "EXISTS"})
        if name:
            created.add(name)
    elif kind == "TRANSACTION":
        yield _finding("transaction-control", path, stmt, "")
    elif kind == "DO":
        yield _finding("do-block", path, stmt, "")
    elif kind == "ALTER TABLE":
        yield from _alter_table(path, stmt, words, created)
    elif kind in {"DROP TABLE", "DROP SCHEMA", "DROP VIEW", "DROP MATERIALIZED VIEW"}:
        rule = {"DROP TABLE": "drop-table", "DROP SCHEMA": "drop-schema"}.get(kind, "drop-view")
        start = 3 if kind == "DROP MATERIALIZED VIEW" else 2
        for name in _name_list(words, start):
            if name not in created:
                yield _finding(rule, path, stmt, name, f"{kind} {name}")
    elif kind == "CREATE INDEX":
        yield from _create_index(path, stmt, words, created)
    elif kind == "DROP INDEX" and "CONCURRENTLY" not in stmt.keywords[:3]:
        yield _finding("drop-index-not-concurrently", path, stmt,
                       ", ".join(_name_list(words, 2, skip={"CONCURRENTLY"})))
    elif kind == "TRUNCATE":
        yield _finding("truncate", path, stmt, ", ".join(_name_list(words, 1,
                                                                    skip={"TABLE", "ONLY"})))
    elif kind in {"DELETE", "UPDATE"} and not _has_top_level(words, "WHERE"):
        start = 2 if kind == "DELETE" else 1
        name = _name_after(words, start, skip={"ONLY"})
        yield _finding(f"{kind.lower()}-without-where", path, stmt, name, f"{kind} {name}")


def _alter_table(path: str, stmt: Statement, words: list[Word],
                 created: set[str]) -> Iterator[Finding]:
    i = 2
    while i < len(words) and words[i].up in {"IF", "EXISTS", "ONLY"}:
        i += 1
    table, i = _read_name(words, i)
    if i < len(words) and words[i].up == "*":
        i += 1
    if not table or table in created:
        return
    for action in _split_top_level(words[i:]):
        yield from _alter_action(path, stmt, table, action)


def _alter_action(path: str, stmt: Statement, table: str,
                  action: list[Word]) -> Iterator[Finding]:
    ups = [w.up for w in action]
    if not ups:
        return
    head = ups[0]
    if head == "RENAME":
        if len(ups) > 1 and ups[1] == "TO":
            new, _ = _read_name(action, 2)
            yield _finding("rename-table", path, stmt, table, f"{table} -> {new}")
        elif len(ups) > 1 and ups[1] != "CONSTRAINT":
            column, _ = _read_name(action, 2 if ups[1] == "COLUMN" else 1)
            yield _finding("rename-column", path, stmt, f"{table}.{column}",
                           f"column {table}.{column}")
    elif head == "SET" and len(ups) > 1 and ups[1] == "SCHEMA":
        yield _finding("rename-table", path, stmt, table, f"{table} moved to another schema")
    elif head == "DROP" and len(ups) > 1 and ups[1] != "CONSTRAINT":
        j = 2 if ups[1] == "COLUMN" else 1
        while j < len(ups) and ups[j] in {"IF", "EXISTS"}:
            j += 1
        column, _ = _read_name(action, j)
        yield _finding("drop-column", path, stmt, f"{table}.{column}", f"column {table}.{column}")
    elif head == "ALTER":
        yield from _alter_column(path, stmt, table, action)
    elif head == "ADD":
        yield from _add(path, stmt, table, action)


def _alter_column(path: str, stmt: Statement, table: str,
                  action: list[Word]) -> Iterator[Finding]:
    ups = [w.up for w in action]
    if len(ups) > 1 and ups[1] == "CONSTRAINT":
        return
    column, j = _read_name(action, 2 if len(ups) > 1 and ups[1] == "COLUMN" else 1)
    obj = f"{table}.{column}"
    rest = ups[j:]
    if rest[:1] == ["TYPE"] or rest[:3] == ["SET", "DATA", "TYPE"]:
        yield _finding("change-column-type", path, stmt, obj, f"column {obj}")
    elif rest[:3] == ["SET", "NOT", "NULL"]:
        yield _finding("set-not-null", path, stmt, obj, f"column {obj}")
    elif rest[:3] == ["DROP", "NOT", "NULL"]:
        yield _finding("drop-not-null", path, stmt, obj, f"column {obj}")


def _add(path: str, stmt: Statement, table: str, action: list[Word]) -> Iterator[Finding]:
    ups = [w.up for w in action]
    j = 1
    if len(ups) > 1 and ups[1] == "CONSTRAINT":
        _, j = _read_name(action, 2)
    kind = ups[j] if j < len(ups) else ""
    if kind in {"UNIQUE", "PRIMARY"} and "USING" not in ups:
        yield _finding("unique-on-existing-columns", path, stmt, table, f"{kind} on {table}")
        return
    if kind == "FOREIGN" or (kind not in {"CHECK"} and "REFERENCES" in ups and j > 1):
        if "VALID" not in ups:
            yield _finding("add-foreign-key-validated", path, stmt, table, f"on {table}")
        return
    if kind == "CHECK":
        if "VALID" not in ups:
            yield _finding("add-check-validated", path, stmt, table, f"on {table}")
        return
    if kind in {"EXCLUDE"} or j > 1:
        return
    j = 2 if len(ups) > 1 and ups[1] == "COLUMN" else 1
    while j < len(ups) and ups[j] in {"IF", "NOT", "EXISTS"}:
        j += 1
    column, j = _read_name(action, j)
    tail = ups[j:]
    obj = f"{table}.{column}"
    not_null = _pairs(tail, "NOT", "NULL") or _pairs(tail, "PRIMARY", "KEY")
    has_default = "DEFAULT" in tail or "GENERATED" in tail or any(
        t in {"SERIAL", "BIGSERIAL", "SMALLSERIAL"} for t in tail)
    if not_null and not has_default:
        yield _finding("add-required-column", path, stmt, obj, f"column {obj}")
    if "UNIQUE" in tail or _pairs(tail, "PRIMARY", "KEY"):
        yield _finding("unique-on-existing-columns", path, stmt, obj, f"column {obj}")
    if "REFERENCES" in tail:
        yield _finding("add-foreign-key-validated", path, stmt, obj, f"column {obj}")


def _create_index(path: str, stmt: Statement, words: list[Word],
                  created: set[str]) -> Iterator[Finding]:
    ups = [w.up for w in words]
    try:
        on = ups.index("ON")
    except ValueError:
        return
    j = on + 1
    if j < len(ups) and ups[j] == "ONLY":
        j += 1
    table, _ = _read_name(words, j)
    if table in created:
        return
    if "CONCURRENTLY" not in ups[:on]:
        yield _finding("create-index-not-concurrently", path, stmt, table, f"index on {table}")
    if ups[1] == "UNIQUE":
        yield _finding("unique-on-existing-columns", path, stmt, table, f"unique index on {table}")


def _read_name(words: Sequence[Word], i: int) -> tuple[str, int]:
    """Read a possibly schema-qualified name at ``i``; return its last part (lower-cased
    unless quoted) and the index after it."""
    parts: list[str] = []
    while i < len(words):
        word = words[i]
        if word.kind not in {"word", "quoted"}:
            break
        parts.append(word.name)
        i += 1
        if i < len(words) and words[i].up == ".":
            i += 1
            continue
        break
    return (parts[-1] if parts else ""), i


def _name_after(words: Sequence[Word], i: int, skip: set[str]) -> str:
    while i < len(words) and words[i].up in skip:
        i += 1
    return _read_name(words, i)[0]


def _name_list(words: Sequence[Word], i: int, skip: set[str] | None = None) -> list[str]:
    skip = (skip or set()) | {"IF", "EXISTS"}
    while i < len(words) and words[i].up in skip:
        i += 1
    names: list[str] = []
    while i < len(words):
        name, i = _read_name(words, i)
        if not name:
            break
        names.append(name)
        if i < len(words) and words[i].up == ",":
            i += 1
            continue
        break
    return names


def _with_depth(words: Sequence[Word]) -> Iterator[tuple[Word, int]]:
    """Each word with its parenthesis depth (0 = top level of the statement)."""
    depth = 0
    for word in words:
        if word.up == "(":
            depth += 1
        elif word.up == ")":
            depth -= 1
        yield word, depth


def _split_top_level(words: Sequence[Word]) -> list[list[Word]]:
    """Split ALTER TABLE actions at commas outside parentheses."""
    actions: list[list[Word]] = [[]]
    for word, depth in _with_depth(words):
        if word.up == "," and depth == 0:
            actions.append([])
        elif word.up != ";":
            actions[-1].append(word)
    return [a for a in actions if a]


def _has_top_level(words: Sequence[Word], keyword: str) -> bool:
    return any(depth == 0 and word.kind == "word" and word.up == keyword
               for word, depth in _with_depth(words))


def _pairs(ups: Sequence[str], first: str, second: str) -> bool:
    return any(a == first and b == second for a, b in itertools.pairwise(ups))


def _unqualified(obj: str) -> str:
    """``public.users.email`` -> ``users.email``; ``public.users`` -> ``users``."""
    parts = obj.split(".")
    return ".".join(parts[1:]) if len(parts) > 1 else obj
