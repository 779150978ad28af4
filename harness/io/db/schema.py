"""Normalise a ``pg_dump --schema-only`` text, compare two schemas (identical / equivalent /
different) and list what changed between them. Pure: text in, dataclasses out."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

_HEADER = re.compile(
    r"^-- Name: (?P<name>.*?); Type: (?P<kind>.*?); Schema: (?P<schema>.*?); Owner: .*$"
)
# Object kinds that only carry ownership or privileges: never part of a schema comparison.
_DROPPED_KINDS = frozenset({"ACL", "DEFAULT ACL"})
_NOISE = (
    re.compile(r"^--"),
    re.compile(r"^SET \w+ = .*;$"),
    re.compile(r"^SELECT pg_catalog\.set_config\('search_path',.*\);$"),
    re.compile(r"^\\(un)?restrict\b"),
    re.compile(r"^ALTER .* OWNER TO .*;$"),
    re.compile(r"^(GRANT|REVOKE) .*;$"),
    re.compile(r"^ALTER DEFAULT PRIVILEGES .*;$"),
)
_NOISE_STARTS = frozenset("-S\\AGR")
_COLUMN_END = re.compile(r" (?:COLLATE|DEFAULT|NOT NULL|GENERATED)\b")
_NOT_NULL = re.compile(r"(?<!\bIS) NOT NULL\b")


class Verdict(StrEnum):
    IDENTICAL = "identical"
    EQUIVALENT = "equivalent"
    DIFFERENT = "different"


@dataclass(frozen=True)
class SchemaObject:
    """One pg_dump entry: its kind (TABLE, INDEX, ...), schema, name and normalised SQL."""

    kind: str
    schema: str
    name: str
    body: str

    @property
    def key(self) -> str:
        return f"{self.kind} {self.schema}.{self.name}"


@dataclass(frozen=True)
class Column:
    name: str
    definition: str

    @property
    def type(self) -> str:
        match = _COLUMN_END.search(self.definition)
        return self.definition[: match.start()] if match else self.definition

    @property
    def not_null(self) -> bool:
        return _NOT_NULL.search(_strip_literals(self.definition)) is not None

    @property
    def has_default(self) -> bool:
        return " DEFAULT " in f" {self.definition}" or " GENERATED " in f" {self.definition}"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    constraints: tuple[str, ...] = ()

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Schema:
    """A normalised schema: its objects keyed by kind, schema and name."""

    objects: tuple[SchemaObject, ...]
    _by_key: dict[str, SchemaObject] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {o.key: o for o in self.objects})

    def get(self, key: str) -> SchemaObject | None:
        return self._by_key.get(key)

    def keys(self) -> set[str]:
        return set(self._by_key)

    def text(self, *, column_order: bool = True) -> str:
        """Canonical text: objects sorted by key, bodies normalised."""
        parts = []
        for key in sorted(self._by_key):
            obj = self._by_key[key]
            body = obj.body if column_order else _sorted_columns(obj)
            parts.append(f"-- {key}\n{body}\n")
        return "\n".join(parts)

    def tables(self) -> dict[str, Table]:
        return {
            f"{o.schema}.{o.name}": _parse_table(o) for o in self.objects if o.kind == "TABLE"
        }

    def names_of(self, kind: str) -> set[str]:
        return {f"{o.schema}.{o.name}" for o in self.objects if o.kind == kind}


@dataclass(frozen=True)
class SchemaComparison:
    """How two schemas compare, with a unified diff of what differs (empty when identical)."""

    verdict: Verdict
    left: str
    right: str
    diff: str
    reordered_tables: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        if self.verdict is Verdict.IDENTICAL:
            return f"{self.left} and {self.right}: identical schemas"
        if self.verdict is Verdict.EQUIVALENT:
            tables = ", ".join(self.reordered_tables)
            return (f"{self.left} and {self.right}: equivalent schemas (only the column order "
                    f"differs, in {tables})")
        changed = sum(1 for line in self.diff.splitlines()
                      if line[:1] in "+-" and not line.startswith(("+++", "---")))
        return f"{self.left} and {self.right}: different schemas ({changed} changed lines)"


@dataclass(frozen=True)
class Change:
    """One thing that changed between two schemas, as old code would feel it."""

    kind: str  # table-dropped, column-dropped, column-type-changed, not-null-added, ...
    obj: str  # "schema.table" or "schema.table.column"
    detail: str


def normalise(dump: str) -> Schema:
    """Parse a plain-format ``pg_dump --schema-only`` text into a normalised Schema.

    Comments, SET lines, the search_path set_config, owner and privilege statements and the
    ``\\restrict`` / ``\\unrestrict`` lines are dropped; each entry keeps its SQL.
    """
    objects: list[SchemaObject] = []
    seen: dict[str, int] = {}
    for kind, schema, name, lines in _entries(dump.splitlines()):
        if kind in _DROPPED_KINDS:
            continue
        body = "\n".join(_clean(lines)).strip("\n")
        if not body:
            continue
        count = seen.get(f"{kind} {schema}.{name}", 0)
        seen[f"{kind} {schema}.{name}"] = count + 1
        objects.append(SchemaObject(kind, schema, name if count == 0 else f"{name}#{count}",
                                    body))
    return Schema(tuple(objects))


def compare(left: Schema, right: Schema, *, left_label: str = "left",
            right_label: str = "right") -> SchemaComparison:
    """Identical (same objects, same SQL), equivalent (only table column order differs) or
    different, with a unified diff of the canonical texts."""
    strict_left, strict_right = left.text(), right.text()
    if strict_left == strict_right:
        return SchemaComparison(Verdict.IDENTICAL, left_label, right_label, "")
    diff = unified_diff(strict_left, strict_right, left_label, right_label)
    if left.text(column_order=False) == right.text(column_order=False):
        reordered = tuple(sorted(
            key.split(" ", 1)[1] for key in left.keys()  # noqa: SIM118
            if key.startswith("TABLE ") and (o := right.get(key)) is not None
            and o.body != (left.get(key) or o).body
        ))
        return SchemaComparison(Verdict.EQUIVALENT, left_label, right_label, diff, reordered)
    return SchemaComparison(Verdict.DIFFERENT, left_label, right_label, diff)


def unified_diff(left: str, right: str, left_label: str, right_label: str) -> str:
    return "".join(difflib.unified_diff(left.splitlines(keepends=True),
                                        right.splitlines(keepends=True),
                                        fromfile=left_label, tofile=right_label, n=2))


def changes(before: Schema, after: Schema) -> tuple[Change, ...]:
    """What a change from ``before`` to ``after`` takes away from code written for ``before``:
    dropped tables, views and columns, changed column types, nullability flips, and new
    required columns on existing tables."""
    found: list[Change] = []
    old_tables, new_tables = before.tables(), after.tables()
    for name, old in sorted(old_tables.items()):
        new = new_tables.get(name)
        if new is None:
            found.append(Change("table-dropped", name, f"table {name} is gone"))
            continue
        found.extend(_column_changes(name, old, new))
    for view in sorted(before.names_of("VIEW") - after.names_of("VIEW")):
        found.append(Change("view-dropped", view, f"view {view} is gone"))
    for schema in sorted(before.names_of("SCHEMA") - after.names_of("SCHEMA")):
        found.append(Change("schema-dropped", schema, f"schema {schema} is gone"))
    return tuple(found)


def _column_changes(table: str, old: Table, new: Table) -> Iterator[Change]:
    for col in old.columns:
        now = new.column(col.name)
        obj = f"{table}.{col.name}"
        if now is None:
            yield Change("column-dropped", obj, f"column {obj} is gone")
            continue
        if now.type != col.type:
            yield Change("column-type-changed", obj, f"{obj}: {col.type} -> {now.type}")
        if now.not_null and not col.not_null:
            yield Change("not-null-added", obj, f"{obj} became NOT NULL")
        if col.not_null and not now.not_null:
            yield Change("not-null-dropped", obj, f"{obj} now accepts NULL")
    for col in new.columns:
        if old.column(col.name) is None and col.not_null and not col.has_default:
            obj = f"{table}.{col.name}"
            yield Change("required-column-added", obj,
                         f"{obj} is NOT NULL without a default: old inserts fail")


def _entries(lines: list[str]) -> Iterator[tuple[str, str, str, list[str]]]:
    """Split the dump at pg_dump's ``-- Name: ...; Type: ...`` header blocks."""
    kind, schema, name = "PREAMBLE", "-", "-"
    body: list[str] = []
    i = 0
    while i < len(lines):
        match = _HEADER.match(lines[i])
        if match and i > 0 and lines[i - 1] == "--":
            if body and body[-1] == "--":
                body.pop()
            yield kind, schema, name, body
            kind, schema, name, body = match["kind"], match["schema"], match["name"], []
            i += 1
            if i < len(lines) and lines[i] == "--":
                i += 1
            continue
        body.append(lines[i])
        i += 1
    yield kind, schema, name, body


def _clean(lines: Iterable[str]) -> Iterator[str]:
    previous_blank = True
    for line in lines:
        if line[:1] in _NOISE_STARTS and any(p.match(line) for p in _NOISE):
            continue
        blank = not line.strip()
        if blank and previous_blank:
            continue
        previous_blank = blank
        yield line.rstrip()


def _table_lines(body: str) -> tuple[list[str], list[str], list[str]]:
    """(head, element lines without trailing commas, tail) of a CREATE TABLE body."""
    lines = body.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("CREATE")
                     and line.endswith("("))
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(")"))
    except StopIteration:
        return lines, [], []
    elements = [line.rstrip(",") for line in lines[start + 1:end]]
    return lines[: start + 1], elements, lines[end:]


def _sorted_columns(obj: SchemaObject) -> str:
    if obj.kind != "TABLE":
        return obj.body
    head, elements, tail = _table_lines(obj.body)
    return "\n".join([*head, *sorted(elements), *tail])


def _parse_table(obj: SchemaObject) -> Table:
    _, elements, _ = _table_lines(obj.body)
    columns: list[Column] = []
    constraints: list[str] = []
    for element in elements:
        text = element.strip()
        if text.startswith("CONSTRAINT "):
            constraints.append(text)
            continue
        name, definition = _split_name(text)
        columns.append(Column(name, definition))
    return Table(f"{obj.schema}.{obj.name}", tuple(columns), tuple(constraints))


def _split_name(text: str) -> tuple[str, str]:
    if text.startswith('"'):
        i = 1
        while i < len(text):
            if text[i] == '"':
                if text[i + 1:i + 2] == '"':
                    i += 2
                    continue
                return text[1:i].replace('""', '"'), text[i + 1:].strip()
            i += 1
    name, _, rest = text.partition(" ")
    return name, rest


def _strip_literals(text: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", text)
