"""Normalise a ``pg_dump --schema-only`` text, compare two schemas (identical / equivalent /
different) and list what changed between them. Pure: text in, dataclasses out."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from harness.io.db.schema_changes import ObjectChange, object_changes
from harness.io.db.schema_tables import Table, parse_table, sorted_columns

# pg_dump's per-object header block: "--\n-- Name: x; Type: TABLE; Schema: public; Owner: y\n--\n".
_HEADER = re.compile(r"^--\n-- Name: (?P<name>.*?); Type: (?P<kind>.*?); Schema: (?P<schema>.*?); "
                     r"Owner: .*\n(?:--\n)?", re.M)
# Object kinds that only carry privileges: compared only when asked (--with-privileges).
PRIVILEGE_KINDS = frozenset({"ACL", "DEFAULT ACL"})
_NOISE = (r"--.*", r"SET \w+ = .*;", r"SELECT pg_catalog\.set_config\('search_path',.*\);",
          r"\\(?:un)?restrict\b.*", r"ALTER .* OWNER TO .*;")
_PRIVILEGES = (r"(?:GRANT|REVOKE) .*;", r"ALTER DEFAULT PRIVILEGES .*;")
_NOISE_LINES = re.compile(r"^(?:{})[ \t]*$\n?".format("|".join(_NOISE + _PRIVILEGES)), re.M)
_NOISE_LINES_KEEP_GRANTS = re.compile(r"^(?:{})[ \t]*$\n?".format("|".join(_NOISE)), re.M)
_IDENTITY = re.compile(r"ALTER TABLE (?:ONLY )?(?P<table>\S+) ALTER COLUMN (?P<column>\S+) "
                       r"ADD GENERATED")
_SEPARATOR = "\n\0\n"
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.M)
_BLANK_RUNS = re.compile(r"\n{3,}")


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

    def bodies(self) -> dict[str, str]:
        """Key -> normalised SQL: two schemas are identical when these are equal."""
        return {key: obj.body for key, obj in self._by_key.items()}

    def text(self, keys: set[str] | None = None, *, column_order: bool = True) -> str:
        """Canonical text: objects (all, or those of ``keys`` present) sorted by key, bodies
        normalised."""
        parts = []
        for key in sorted(self._by_key if keys is None else keys & self._by_key.keys()):
            obj = self._by_key[key]
            body = obj.body if column_order or obj.kind != "TABLE" else sorted_columns(obj.body)
            parts.append(f"-- {key}\n{body}\n")
        return "\n".join(parts)

    def tables(self) -> dict[str, Table]:
        return {f"{o.schema}.{o.name}": parse_table(f"{o.schema}.{o.name}", o.body)
                for o in self.objects if o.kind == "TABLE"}

    def filled_columns(self) -> set[str]:
        """``schema.table.column`` of columns filled by pg_dump's separate entries: a serial's
        ``SET DEFAULT nextval(...)`` and an identity's ``ADD GENERATED ... AS IDENTITY``."""
        filled = {f"{o.schema}.{o.name.replace(' ', '.', 1)}" for o in self.objects
                  if o.kind == "DEFAULT"}
        for obj in self.objects:
            if obj.kind == "SEQUENCE":
                match = _IDENTITY.match(obj.body)
                if match:
                    filled.add(f"{match['table']}.{match['column']}")
        return filled

    def names_of(self, kind: str) -> set[str]:
        return {f"{o.schema}.{o.name}" for o in self.objects if o.kind == kind}


@dataclass(frozen=True)
class SchemaComparison:
    """How two schemas compare: the verdict, each changed object named, and a unified diff
    of the lines (the drill-down; empty when identical)."""

    verdict: Verdict
    left: str
    right: str
    diff: str
    reordered_tables: tuple[str, ...] = ()
    changes: tuple[ObjectChange, ...] = ()

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
        return (f"{self.left} and {self.right}: different schemas ({len(self.changes)} "
                f"change(s), {changed} changed lines)")


@dataclass(frozen=True)
class Change:
    """One thing that changed between two schemas, as old code would feel it."""

    kind: str  # table-dropped, column-dropped, column-type-changed, not-null-added, ...
    obj: str  # "schema.table" or "schema.table.column"
    detail: str


def normalise(dump: str, *, with_privileges: bool = False) -> Schema:
    """Parse a plain-format ``pg_dump --schema-only`` text into a normalised Schema.

    Comments, SET lines, the search_path set_config, owner statements and the
    ``\\restrict`` / ``\\unrestrict`` lines are dropped, and so are privileges (GRANT,
    REVOKE, ACL entries) unless ``with_privileges``; each entry keeps its SQL.
    """
    noise = _NOISE_LINES_KEEP_GRANTS if with_privileges else _NOISE_LINES
    entries = list(_entries(dump))
    # Clean every body in one pass of each regex (thousands of small passes cost far more):
    # bodies are joined with a NUL line, which pg_dump output never holds.
    joined = _SEPARATOR.join(raw for _, _, _, raw in entries)
    cleaned = _BLANK_RUNS.sub("\n\n", _TRAILING_SPACE.sub("", noise.sub("", joined)))
    objects: list[SchemaObject] = []
    seen: dict[str, int] = {}
    for (kind, schema, name, _), body in zip(entries, cleaned.split("\0"), strict=True):
        body = body.strip("\n")
        if not body or (kind in PRIVILEGE_KINDS and not with_privileges):
            continue
        key = f"{kind} {schema}.{name}"
        count = seen.get(key, 0)
        seen[key] = count + 1
        objects.append(SchemaObject(kind, schema, name if count == 0 else f"{name}#{count}",
                                    body))
    return Schema(tuple(objects))


def compare(left: Schema, right: Schema, *, left_label: str = "left",
            right_label: str = "right") -> SchemaComparison:
    """Identical (same objects, same SQL), equivalent (only table column order differs) or
    different, with every changed object named and a unified diff of the canonical texts."""
    old, new = left.bodies(), right.bodies()
    changed = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    if not changed:
        return SchemaComparison(Verdict.IDENTICAL, left_label, right_label, "")
    # Only the changed objects are diffed and named (the rest is equal by construction).
    diff = unified_diff(left.text(changed), right.text(changed), left_label, right_label)
    named = object_changes(left, right, changed)
    if left.text(changed, column_order=False) == right.text(changed, column_order=False):
        reordered = tuple(sorted(key.split(" ", 1)[1] for key in changed))
        return SchemaComparison(Verdict.EQUIVALENT, left_label, right_label, diff, reordered,
                                named)
    return SchemaComparison(Verdict.DIFFERENT, left_label, right_label, diff, changes=named)


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
    filled = after.filled_columns()
    for name, old in sorted(old_tables.items()):
        new = new_tables.get(name)
        if new is None:
            found.append(Change("table-dropped", name, f"table {name} is gone"))
            continue
        found.extend(_column_changes(name, old, new, filled))
    for view in sorted(before.names_of("VIEW") - after.names_of("VIEW")):
        found.append(Change("view-dropped", view, f"view {view} is gone"))
    for schema in sorted(before.names_of("SCHEMA") - after.names_of("SCHEMA")):
        found.append(Change("schema-dropped", schema, f"schema {schema} is gone"))
    return tuple(found)


def _column_changes(table: str, old: Table, new: Table,
                    filled: set[str]) -> Iterator[Change]:
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
        obj = f"{table}.{col.name}"
        if (old.column(col.name) is None and col.not_null and not col.has_default
                and obj not in filled):
            yield Change("required-column-added", obj,
                         f"{obj} is NOT NULL without a default: old inserts fail")


def _entries(dump: str) -> Iterator[tuple[str, str, str, str]]:
    """Split the dump at pg_dump's ``-- Name: ...; Type: ...`` header blocks (one regex
    split: a 1,000-table dump is split in milliseconds)."""
    parts = _HEADER.split(dump)  # preamble, then (name, kind, schema, body) per entry
    yield "PREAMBLE", "-", "-", parts[0]
    for i in range(1, len(parts), 4):
        yield parts[i + 1], parts[i + 2], parts[i], parts[i + 3]


