"""Name what changed between two normalised schemas, object by object, the way a reviewer
asks: ``table public.orders: column total type integer -> bigint``, ``constraint
orders_total_check on public.orders: ...``, ``index public.orders_total_idx: added``. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.io.db.schema_tables import Column, Table, parse_table

if TYPE_CHECKING:  # schema.py builds its comparison with this module
    from harness.io.db.schema import Schema, SchemaObject

_ON_TABLE = {"CONSTRAINT": "constraint", "FK CONSTRAINT": "constraint",
             "CHECK CONSTRAINT": "constraint", "TRIGGER": "trigger", "POLICY": "policy",
             "RULE": "rule"}
_FUNCTIONS = {"FUNCTION": "function", "PROCEDURE": "procedure", "AGGREGATE": "aggregate"}
_DEFAULT = re.compile(r" DEFAULT (?P<expr>.*?)(?: NOT NULL)?$")
_SHORT = 100


@dataclass(frozen=True)
class ObjectChange:
    """One named object and what happened to it."""

    kind: str  # table, index, constraint, function, trigger, view, sequence owned by, ...
    name: str  # e.g. "table public.orders", "constraint orders_pkey on public.orders"
    change: str  # "added", "removed", "column total type integer -> bigint", ...

    def __str__(self) -> str:
        return f"{self.name}: {self.change}"


def object_changes(left: Schema, right: Schema,
                   keys: set[str] | None = None) -> tuple[ObjectChange, ...]:
    """Every object added, removed or changed from ``left`` to ``right`` (among ``keys``,
    when the caller already knows which differ), named."""
    found: list[ObjectChange] = []
    for key in sorted(left.keys() | right.keys() if keys is None else keys):
        old, new = left.get(key), right.get(key)
        if old is not None and new is not None and old.body == new.body:
            continue
        obj = new or old
        assert obj is not None
        kind, name = describe(obj)
        if old is None:
            found.append(ObjectChange(kind, name, "added"))
        elif new is None:
            found.append(ObjectChange(kind, name, "removed"))
        elif obj.kind == "TABLE":
            table = f"{obj.schema}.{obj.name}"
            found.extend(_table_changes(parse_table(table, old.body), parse_table(table, new.body)))
        else:
            found.append(ObjectChange(kind, name, _body_change(old.body, new.body)))
    return tuple(found)


def describe(obj: SchemaObject) -> tuple[str, str]:
    """(kind, name) of a pg_dump entry, e.g. ("constraint", "constraint c on public.t")."""
    schema = "" if obj.schema == "-" else f"{obj.schema}."
    if obj.kind in _ON_TABLE:
        table, _, name = obj.name.partition(" ")
        return _ON_TABLE[obj.kind], f"{_ON_TABLE[obj.kind]} {name} on {schema}{table}"
    if obj.kind == "DEFAULT":
        table, _, column = obj.name.partition(" ")
        return "default", f"default of {schema}{table}.{column}"
    if obj.kind in {"COMMENT", "ACL"}:
        what, _, target = obj.name.partition(" ")
        kind = "comment" if obj.kind == "COMMENT" else "privileges"
        return kind, f"{kind} on {what.lower()} {schema}{target}"
    if obj.kind in _FUNCTIONS:
        return "function", f"{_FUNCTIONS[obj.kind]} {schema}{obj.name}"
    kind = obj.kind.lower()
    return kind, f"{kind} {schema}{obj.name}"


def _table_changes(old: Table, new: Table) -> Iterator[ObjectChange]:
    name = f"table {old.name}"
    for column in old.columns:
        now = new.column(column.name)
        if now is None:
            yield ObjectChange("table", name, f"column {column.name} removed")
        elif now.definition != column.definition:
            yield from _column_changes(name, column, now)
    for column in new.columns:
        if old.column(column.name) is None:
            yield ObjectChange("table", name, f"column {column.name} added "
                               f"({column.definition})")
    old_checks, new_checks = _named(old.constraints), _named(new.constraints)
    for con in sorted(old_checks.keys() | new_checks.keys()):
        before, after = old_checks.get(con), new_checks.get(con)
        if before == after:
            continue
        label = f"constraint {con} on {old.name}"
        change = ("added" if before is None else "removed" if after is None
                  else _body_change(before, after))
        yield ObjectChange("constraint", label, change)
    same_columns = {c.name for c in old.columns} == {c.name for c in new.columns}
    if same_columns and [c.name for c in old.columns] != [c.name for c in new.columns]:
        yield ObjectChange("table", name, "column order "
                           f"{', '.join(c.name for c in old.columns)} -> "
                           f"{', '.join(c.name for c in new.columns)}")
    if (old.head, old.tail) != (new.head, new.tail):
        yield ObjectChange("table", name, "definition " + _body_change(
            "\n".join(old.head + old.tail), "\n".join(new.head + new.tail)))


def _column_changes(table: str, old: Column, new: Column) -> Iterator[ObjectChange]:
    said = False
    if old.type != new.type:
        said = True
        yield ObjectChange("table", table, f"column {old.name} type {old.type} -> {new.type}")
    if _default(old) != _default(new):
        said = True
        yield ObjectChange("default", table, f"column {old.name} default "
                           f"{_default(old) or '(none)'} -> {_default(new) or '(none)'}")
    if old.not_null != new.not_null:
        said = True
        yield ObjectChange("table", table, f"column {old.name} "
                           f"{'NOT NULL added' if new.not_null else 'NOT NULL dropped'}")
    if not said:
        yield ObjectChange("table", table, f"column {old.name} {old.definition} -> "
                           f"{new.definition}")


def _default(column: Column) -> str:
    match = _DEFAULT.search(column.definition)
    return match["expr"] if match else ""


def _named(constraints: tuple[str, ...]) -> dict[str, str]:
    """``CONSTRAINT name CHECK (...)`` -> {name: "CHECK (...)"}."""
    named: dict[str, str] = {}
    for text in constraints:
        _, name, rest = [*text.split(" ", 2), "", ""][:3]
        named[name] = rest
    return named


def _body_change(old: str, new: str) -> str:
    one_old, one_new = " ".join(old.split()), " ".join(new.split())
    if len(one_old) <= _SHORT and len(one_new) <= _SHORT:
        return f"{one_old} -> {one_new}"
    return "definition changed (--diff shows the lines)"
