"""The columns and constraints of a ``CREATE TABLE`` as pg_dump writes it (one element a
line). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

_COLUMN_END = re.compile(r" (?:COLLATE|DEFAULT|NOT NULL|GENERATED)\b")
_NOT_NULL = re.compile(r"(?<!\bIS) NOT NULL\b")


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
    head: tuple[str, ...] = ()  # the lines before the elements (CREATE TABLE ... ()
    tail: tuple[str, ...] = ()  # the lines after them () PARTITION BY ..., INHERITS ...)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def table_lines(body: str) -> tuple[list[str], list[str], list[str]]:
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


def sorted_columns(body: str) -> str:
    """The table's text with its elements sorted (column order ignored)."""
    head, elements, tail = table_lines(body)
    return "\n".join([*head, *sorted(elements), *tail])


def parse_table(qualified: str, body: str) -> Table:
    """``qualified`` is the schema-qualified table name, ``body`` its CREATE TABLE text."""
    head, elements, tail = table_lines(body)
    columns: list[Column] = []
    constraints: list[str] = []
    for element in elements:
        text = element.strip()
        if text.startswith("CONSTRAINT "):
            constraints.append(text)
            continue
        name, definition = _split_name(text)
        columns.append(Column(name, definition))
    return Table(qualified, tuple(columns), tuple(constraints), tuple(head), tuple(tail))


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
