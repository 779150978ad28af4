"""Split a migration file into statements with PostgreSQL's own parser (pglast, i.e.
libpg_query, the parser squawk is built on): each statement keeps its text, its line and
column and its parse tree; text PostgreSQL would reject is a syntax error at line:column."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from itertools import accumulate

from pglast import ast
from pglast import parse_sql as pg_parse
from pglast.enums import TransactionStmtKind
from pglast.parser import ParseError

_OPENING = {TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START}
_CLOSING = {TransactionStmtKind.TRANS_STMT_COMMIT}


@dataclass(frozen=True)
class Statement:
    """One statement: its exact text, where it starts (1-based) and its parse tree."""

    text: str
    line: int
    column: int
    node: ast.Node

    @property
    def kind(self) -> str:
        """The parse-tree node's name, e.g. ``AlterTableStmt``, ``IndexStmt``, ``DoStmt``."""
        return type(self.node).__name__

    @property
    def opens_transaction(self) -> bool:
        return isinstance(self.node, ast.TransactionStmt) and self.node.kind in _OPENING

    @property
    def closes_transaction(self) -> bool:
        return isinstance(self.node, ast.TransactionStmt) and self.node.kind in _CLOSING


@dataclass(frozen=True)
class SyntaxProblem:
    """What PostgreSQL's parser said, and where (1-based line and column)."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class ParsedSql:
    statements: tuple[Statement, ...]
    problems: tuple[SyntaxProblem, ...]


class _Positions:
    """Character offset -> (line, column), both 1-based."""

    def __init__(self, text: str) -> None:
        # Per line, not per character: split and accumulate run in C.
        lines = text.split("\n")
        self._starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))

    def at(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1


def parse_sql(text: str) -> ParsedSql:
    """The statements of ``text`` in order, or the syntax error that stops PostgreSQL from
    reading it (the file is then not split at all: nothing of it would run)."""
    positions = _Positions(text)
    try:
        raw = pg_parse(text)
    except ParseError as exc:
        message, offset = str(exc.args[0]), int(exc.args[1]) if len(exc.args) > 1 else 0
        line, column = positions.at(max(0, min(offset, len(text))))
        return ParsedSql((), (SyntaxProblem(line, column, message),))
    statements = []
    for item in raw:
        if item.stmt is None:
            continue
        start = item.stmt_location or 0
        length = item.stmt_len or len(text) - start
        line, column = positions.at(start)
        statements.append(Statement(text[start:start + length].strip(), line, column,
                                    item.stmt))
    return ParsedSql(tuple(statements), ())


def unwrapped(statements: tuple[Statement, ...]) -> tuple[Statement, ...]:
    """``statements`` without one wrapping ``BEGIN`` ... ``COMMIT`` pair (the runner wraps
    each file itself); any other transaction control stays for the checks to report."""
    if (len(statements) >= 2 and statements[0].opens_transaction
            and statements[-1].closes_transaction):
        return statements[1:-1]
    return statements
