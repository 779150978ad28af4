"""Split a migration file into statements with their line numbers, and reduce each statement
to the words a rule needs (sqlparse lexes; string and dollar-quoted bodies stay opaque)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlparse import tokens as T
from sqlparse.engine import FilterStack

_TRANSACTION_WORDS = frozenset({"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "SAVEPOINT",
                                "RELEASE", "ABORT"})


@dataclass(frozen=True)
class Word:
    """One significant token: ``up`` is its upper-cased text for keyword matching; a quoted
    identifier keeps its exact name in ``name``."""

    up: str
    name: str
    kind: str  # word | quoted | punct | literal | other


@dataclass(frozen=True)
class Statement:
    text: str
    line: int
    words: tuple[Word, ...]

    @property
    def keywords(self) -> tuple[str, ...]:
        return tuple(w.up for w in self.words)

    @property
    def kind(self) -> str:
        """The leading keywords that say what the statement is (e.g. ``ALTER TABLE``)."""
        lead = [w.up for w in self.words[:3] if w.kind == "word"]
        if not lead:
            return ""
        if lead[0] in _TRANSACTION_WORDS:
            return "TRANSACTION"
        if lead[0] in {"CREATE", "DROP", "ALTER"} and len(lead) > 1:
            if lead[1] == "UNIQUE" and len(lead) > 2:
                return f"{lead[0]} {lead[2]}"
            if lead[1] in {"OR", "MATERIALIZED"}:
                return " ".join(lead[:3]) if len(lead) > 2 else lead[0]
            return f"{lead[0]} {lead[1]}"
        return lead[0]


@dataclass(frozen=True)
class ParseProblem:
    line: int
    message: str


@dataclass(frozen=True)
class ParsedSql:
    statements: tuple[Statement, ...]
    problems: tuple[ParseProblem, ...]


def parse_sql(text: str) -> ParsedSql:
    """Statements of ``text`` in order, each with the 1-based line of its first token, plus
    the lexing problems found (unterminated quotes or dollar-quoted bodies)."""
    statements: list[Statement] = []
    problems: list[ParseProblem] = []
    line = 1
    for raw in FilterStack().run(text):  # type: ignore[no-untyped-call]
        chunk = str(raw)
        words: list[Word] = []
        first_line: int | None = None
        offset_line = line
        for token in raw.flatten():
            value = token.value
            if token.ttype in T.Comment or token.is_whitespace:
                offset_line += value.count("\n")
                continue
            if first_line is None:
                first_line = offset_line
            if token.ttype in T.Error and all(p.line != offset_line for p in problems):
                problems.append(ParseProblem(offset_line, f"cannot read {value!r} here: an "
                                             "unterminated quote or dollar-quoted body?"))
            words.extend(_words(token.ttype, value))
            offset_line += value.count("\n")
        line += chunk.count("\n")
        if first_line is None or all(w.up == ";" for w in words):
            continue
        statements.append(Statement(chunk.strip(), first_line, tuple(words)))
    return ParsedSql(tuple(statements), tuple(problems))


def _words(ttype: object, value: str) -> list[Word]:
    if ttype in T.Literal.String.Symbol or (value.startswith('"') and value.endswith('"')
                                            and len(value) > 1):
        return [Word(value.upper(), value[1:-1].replace('""', '"'), "quoted")]
    if ttype in T.Literal:
        return [Word(value.upper(), value, "literal")]
    if ttype in T.Punctuation or ttype in T.Operator:
        return [Word(value, value, "punct")]
    if ttype in T.Keyword or ttype in T.Name:
        # sqlparse lexes "IF EXISTS", "NOT NULL", "ORDER BY" as one keyword.
        return [Word(part.upper(), part.lower(), "word") for part in value.split()]
    return [Word(value.upper(), value, "other")]
