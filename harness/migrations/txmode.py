"""How a file must run, read from its parse tree: in one transaction (the default), or,
for a statement PostgreSQL refuses inside a transaction block (CREATE INDEX CONCURRENTLY
...), on its own in autocommit, optionally after session ``SET`` statements. Lint and the
runner both ask here, so they never disagree. Pure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pglast import ast
from pglast.enums import AlterTableType, ReindexObjectType

from harness.migrations.statements import Statement, unwrapped
from harness.migrations.tree import has_option

# Before PostgreSQL 12, ALTER TYPE ... ADD VALUE could not run inside a transaction block.
ENUM_IN_TRANSACTION_SINCE = 12


@dataclass(frozen=True)
class TxProblem:
    code: str
    statement: Statement
    message: str
    fix: str


@dataclass(frozen=True)
class TxPlan:
    """What the runner sends, and whether it runs outside a transaction (autocommit)."""

    statements: tuple[Statement, ...]
    autocommit: bool

    @property
    def main(self) -> Statement | None:
        """The non-transactional statement of an autocommit file."""
        return next((s for s in self.statements if not _is_set(s)), None) if self.autocommit \
            else None


def non_transactional(stmt: Statement, server_major: int | None = None) -> str | None:
    """What makes ``stmt`` impossible inside a transaction block, or None."""
    node = stmt.node
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt):
        if has_option(node.params, "concurrently"):
            return "REINDEX ... CONCURRENTLY"
        if node.kind in {ReindexObjectType.REINDEX_OBJECT_SYSTEM,
                         ReindexObjectType.REINDEX_OBJECT_DATABASE}:
            return "REINDEX SYSTEM/DATABASE"
    if isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
        return "VACUUM"
    if isinstance(node, ast.AlterTableStmt) and any(
            isinstance(c, ast.AlterTableCmd) and c.subtype == AlterTableType.AT_DetachPartition
            and isinstance(c.def_, ast.PartitionCmd) and c.def_.concurrent
            for c in node.cmds or ()):
        return "DETACH PARTITION ... CONCURRENTLY"
    if (isinstance(node, ast.AlterEnumStmt) and node.newVal and not node.oldVal
            and server_major is not None and server_major < ENUM_IN_TRANSACTION_SINCE):
        return f"ALTER TYPE ... ADD VALUE (PostgreSQL {server_major})"
    names = {ast.CreatedbStmt: "CREATE DATABASE", ast.DropdbStmt: "DROP DATABASE",
             ast.CreateTableSpaceStmt: "CREATE TABLESPACE",
             ast.DropTableSpaceStmt: "DROP TABLESPACE", ast.AlterSystemStmt: "ALTER SYSTEM"}
    return names.get(type(node))


def plan(statements: Sequence[Statement], server_major: int | None = None) -> TxPlan:
    body = unwrapped(tuple(statements))
    outside = [s for s in body if non_transactional(s, server_major)]
    return TxPlan(body, bool(outside))


def problems(statements: Sequence[Statement],
             server_major: int | None = None) -> Iterator[TxProblem]:
    """Why the file cannot run as one unit: stray transaction control, a non-transactional
    statement beside anything but session SETs, SET LOCAL where there is no transaction."""
    statements = tuple(statements)
    body = unwrapped(statements)
    for stmt in body:
        if isinstance(stmt.node, ast.TransactionStmt):
            yield TxProblem("transaction-control", stmt,
                            f"{_verb(stmt)} {_position(stmt, statements)}",
                            "remove it: the runner applies the whole file in one transaction; "
                            "only a BEGIN ... COMMIT pair wrapping the whole file is accepted "
                            "(and skipped), anything else would leave the file half-applied")
    outside = [s for s in body if non_transactional(s, server_major)]
    if not outside:
        return
    what = non_transactional(outside[0], server_major)
    others = [s for s in body if s is not outside[0] and not _is_set(s)]
    if others:
        yield TxProblem("non-transactional-mixed", outside[0],
                        f"{what} cannot run inside a transaction, and this file also holds "
                        f"{others[0].kind} at line {others[0].line}",
                        "move it into a migration file of its own (it may keep session SET "
                        "statements such as SET lock_timeout beside it): the runner runs that "
                        "file outside a transaction")
    after = body[body.index(outside[0]) + 1:]
    for stmt in after:
        if _is_set(stmt):
            yield TxProblem("set-after-non-transactional", stmt,
                            f"SET after {what} changes nothing it runs, and if it failed the "
                            "statement before it would be applied but not recorded",
                            "move the SET before the statement it is for")
    for stmt in body:
        if isinstance(stmt.node, ast.VariableSetStmt) and stmt.node.is_local:
            yield TxProblem("set-local-outside-transaction", stmt,
                            f"SET LOCAL has no effect: this file runs outside a transaction "
                            f"because of {what}", "use a plain SET (it lasts for the runner's "
                            "session, which ends with the file)")


def _is_set(stmt: Statement) -> bool:
    return isinstance(stmt.node, ast.VariableSetStmt)


def _verb(stmt: Statement) -> str:
    return stmt.text.split(None, 1)[0].upper() if stmt.text else "transaction control"


def _position(stmt: Statement, statements: tuple[Statement, ...]) -> str:
    if stmt is statements[0]:
        return "at the start of the file"
    if stmt is statements[-1]:
        return "at the end of the file"
    return f"in the middle of the file (statement {statements.index(stmt) + 1} of " \
           f"{len(statements)})"
