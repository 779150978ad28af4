"""The classification checks, on PostgreSQL's parse tree: each statement of a forward file
yields the rules it trips (``Hit``), knowing what earlier statements of the same file did
(tables it created, constraints it added NOT VALID, enum values it added). Pure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pglast import ast
from pglast.enums import AlterTableType as At
from pglast.enums import ConstrType as Ct
from pglast.enums import ObjectType as Ot

from harness.migrations.statements import Statement, unwrapped
from harness.migrations.tree import function_names, has_option, last_name, relname, string_constants
from harness.migrations.volatility import VOLATILE, Facts

_SERIAL = frozenset({"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"})
_DROPS = {Ot.OBJECT_TABLE: "drop-table", Ot.OBJECT_VIEW: "drop-view",
          Ot.OBJECT_MATVIEW: "drop-view", Ot.OBJECT_SCHEMA: "drop-schema"}
_RENAMED = {Ot.OBJECT_TABLE, Ot.OBJECT_VIEW, Ot.OBJECT_MATVIEW, Ot.OBJECT_FOREIGN_TABLE}


@dataclass(frozen=True)
class Hit:
    rule: str
    statement: Statement
    obj: str
    detail: str


@dataclass
class _File:
    """What the statements so far did."""

    facts: Facts
    created: set[str] = field(default_factory=set)
    partitioned: set[str] = field(default_factory=set)
    not_valid: set[tuple[str, str]] = field(default_factory=set)
    enum_values: dict[str, str] = field(default_factory=dict)  # value -> type


def check_statements(statements: Sequence[Statement], facts: Facts) -> Iterator[Hit]:
    file = _File(facts, partitioned=set(facts.partitioned))
    body = unwrapped(tuple(statements))
    if len(body) < len(statements):
        yield Hit("transaction-control", statements[0], "",
                  f"BEGIN at line {statements[0].line}, COMMIT at line {statements[-1].line}")
    for stmt in body:
        yield from _used_enum_values(stmt, file)
        yield from _check(stmt, file)


def _check(stmt: Statement, file: _File) -> Iterator[Hit]:
    node = stmt.node
    if isinstance(node, ast.CreateStmt):
        name = relname(node.relation)
        file.created.add(name)
        if node.partspec is not None:
            file.partitioned.add(name)
    elif isinstance(node, ast.DoStmt):
        yield Hit("do-block", stmt, "", "DO block")
    elif isinstance(node, ast.AlterTableStmt):
        yield from _alter_table(stmt, node, file)
    elif isinstance(node, ast.RenameStmt):
        yield from _rename(stmt, node, file)
    elif isinstance(node, ast.AlterObjectSchemaStmt) and node.objectType in _RENAMED:
        table = relname(node.relation)
        if table not in file.created:
            yield Hit("rename-table", stmt, table, f"{table} moved to schema {node.newschema}")
    elif isinstance(node, ast.DropStmt):
        yield from _drop(stmt, node, file)
    elif isinstance(node, ast.IndexStmt):
        yield from _create_index(stmt, node, file)
    elif isinstance(node, ast.ReindexStmt) and not has_option(node.params, "concurrently"):
        target = relname(node.relation) or str(node.name or "")
        yield Hit("reindex-not-concurrently", stmt, target, f"REINDEX {target}")
    elif isinstance(node, ast.TruncateStmt):
        names = [relname(r) for r in node.relations or ()]
        yield Hit("truncate", stmt, ", ".join(names), f"TRUNCATE {', '.join(names)}")
    elif isinstance(node, ast.DeleteStmt | ast.UpdateStmt) and node.whereClause is None:
        verb = "delete" if isinstance(node, ast.DeleteStmt) else "update"
        table = relname(node.relation)
        if table not in file.created:
            yield Hit(f"{verb}-without-where", stmt, table, f"{verb.upper()} {table}")
    elif isinstance(node, ast.AlterEnumStmt):
        yield from _alter_enum(stmt, node, file)


def _alter_table(stmt: Statement, node: ast.AlterTableStmt, file: _File) -> Iterator[Hit]:
    table = relname(node.relation)
    if node.objtype not in {Ot.OBJECT_TABLE, Ot.OBJECT_FOREIGN_TABLE} or table in file.created:
        return
    for cmd in node.cmds or ():
        if isinstance(cmd, ast.AlterTableCmd):
            yield from _alter_cmd(stmt, table, cmd, file)


def _alter_cmd(stmt: Statement, table: str, cmd: ast.AlterTableCmd,
               file: _File) -> Iterator[Hit]:
    column = f"{table}.{cmd.name}" if cmd.name else table
    kind = cmd.subtype
    if kind == At.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        yield from _add_column(stmt, table, cmd.def_, file)
    elif kind == At.AT_DropColumn:
        yield Hit("drop-column", stmt, column, f"column {column}")
    elif kind == At.AT_AlterColumnType:
        yield Hit("change-column-type", stmt, column, f"column {column}")
    elif kind == At.AT_SetNotNull:
        yield Hit("set-not-null", stmt, column, f"column {column}")
    elif kind == At.AT_DropNotNull:
        yield Hit("drop-not-null", stmt, column, f"column {column}")
    elif kind == At.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
        yield from _add_constraint(stmt, table, cmd.def_, file)
    elif kind == At.AT_ValidateConstraint and (table, cmd.name) in file.not_valid:
        yield Hit("validate-in-same-transaction", stmt, table,
                  f"constraint {cmd.name} on {table}")
    elif kind == At.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        part = relname(cmd.def_.name)
        if part not in file.created:
            yield Hit("attach-partition", stmt, part, f"{part} attached to {table}")
    elif (kind == At.AT_DetachPartition and isinstance(cmd.def_, ast.PartitionCmd)
          and not cmd.def_.concurrent):
        part = relname(cmd.def_.name)
        yield Hit("detach-partition-not-concurrently", stmt, part, f"{part} detached from {table}")


def _add_column(stmt: Statement, table: str, col: ast.ColumnDef,
                file: _File) -> Iterator[Hit]:
    obj = f"{table}.{col.colname}"
    constraints = [c for c in col.constraints or () if isinstance(c, ast.Constraint)]
    kinds = {c.contype for c in constraints}
    serial = last_name(col.typeName.names if col.typeName else ()).lower() in _SERIAL
    filled = {Ct.CONSTR_DEFAULT, Ct.CONSTR_IDENTITY, Ct.CONSTR_GENERATED} & kinds or serial
    if (Ct.CONSTR_NOTNULL in kinds or Ct.CONSTR_PRIMARY in kinds) and not filled:
        yield Hit("add-required-column", stmt, obj, f"column {obj}")
    if serial:
        yield Hit("add-column-volatile-default", stmt, obj,
                  f"column {obj}: serial, whose default nextval() is volatile")
    for con in constraints:
        if con.contype == Ct.CONSTR_DEFAULT:
            yield from _default(stmt, obj, con.raw_expr, file)
        elif con.contype == Ct.CONSTR_IDENTITY:
            yield Hit("add-column-identity", stmt, obj, f"column {obj}")
        elif con.contype == Ct.CONSTR_GENERATED:
            yield Hit("add-column-generated-stored", stmt, obj, f"column {obj}")
        elif con.contype in {Ct.CONSTR_UNIQUE, Ct.CONSTR_PRIMARY}:
            yield Hit("unique-on-existing-columns", stmt, obj, f"column {obj}")
        elif con.contype == Ct.CONSTR_FOREIGN:
            yield Hit("add-foreign-key-validated", stmt, obj, f"column {obj}")
        elif con.contype == Ct.CONSTR_CHECK:
            yield Hit("add-check-validated", stmt, obj, f"column {obj}")


def _default(stmt: Statement, obj: str, expr: object, file: _File) -> Iterator[Hit]:
    functions = sorted(set(function_names(expr)))
    volatile = [f for f in functions if file.facts.volatility_of(f) == VOLATILE]
    unknown = [f for f in functions if file.facts.volatility_of(f) is None]
    if volatile:
        yield Hit("add-column-volatile-default", stmt, obj,
                  f"column {obj}: {', '.join(f + '()' for f in volatile)} is volatile")
    elif unknown:
        yield Hit("add-column-default-unknown", stmt, obj,
                  f"column {obj}: {', '.join(f + '()' for f in unknown)}")


def _add_constraint(stmt: Statement, table: str, con: ast.Constraint,
                    file: _File) -> Iterator[Hit]:
    name = f" {con.conname}" if con.conname else ""
    if con.contype in {Ct.CONSTR_UNIQUE, Ct.CONSTR_PRIMARY} and not con.indexname:
        yield Hit("unique-on-existing-columns", stmt, table, f"constraint{name} on {table}")
    elif con.contype in {Ct.CONSTR_FOREIGN, Ct.CONSTR_CHECK}:
        if con.skip_validation:
            file.not_valid.add((table, str(con.conname)))
        else:
            rule = ("add-foreign-key-validated" if con.contype == Ct.CONSTR_FOREIGN
                    else "add-check-validated")
            yield Hit(rule, stmt, table, f"constraint{name} on {table}")


def _rename(stmt: Statement, node: ast.RenameStmt, file: _File) -> Iterator[Hit]:
    table = relname(node.relation)
    if table in file.created:
        return
    if node.renameType in _RENAMED:
        yield Hit("rename-table", stmt, table, f"{table} -> {node.newname}")
    elif node.renameType == Ot.OBJECT_COLUMN and node.relationType in _RENAMED:
        column = f"{table}.{node.subname}"
        yield Hit("rename-column", stmt, column, f"column {column} -> {node.newname}")


def _drop(stmt: Statement, node: ast.DropStmt, file: _File) -> Iterator[Hit]:
    names = [last_name(o) for o in node.objects or ()]
    if node.removeType == Ot.OBJECT_INDEX:
        if not node.concurrent:
            yield Hit("drop-index-not-concurrently", stmt, ", ".join(names),
                      f"DROP INDEX {', '.join(names)}")
        return
    rule = _DROPS.get(node.removeType) if node.removeType is not None else None
    if rule is None:
        return
    for name in names:
        if name not in file.created:
            yield Hit(rule, stmt, name, f"{rule.removeprefix('drop-')} {name}")


def _create_index(stmt: Statement, node: ast.IndexStmt, file: _File) -> Iterator[Hit]:
    table = relname(node.relation)
    if table in file.created:
        return
    if node.concurrent and table in file.partitioned:
        yield Hit("concurrent-index-on-partitioned-table", stmt, table,
                  f"index on partitioned table {table}")
    if not node.concurrent:
        yield Hit("create-index-not-concurrently", stmt, table, f"index on {table}")
    if node.unique:
        yield Hit("unique-on-existing-columns", stmt, table, f"unique index on {table}")


def _alter_enum(stmt: Statement, node: ast.AlterEnumStmt, file: _File) -> Iterator[Hit]:
    type_name = last_name(node.typeName)
    if node.oldVal:
        yield Hit("rename-enum-value", stmt, type_name,
                  f"{type_name}: {node.oldVal!r} -> {node.newVal!r}")
    elif node.newVal:
        file.enum_values[str(node.newVal)] = type_name


def _used_enum_values(stmt: Statement, file: _File) -> Iterator[Hit]:
    if not file.enum_values:
        return
    for value in sorted(set(string_constants(stmt.node)) & set(file.enum_values)):
        type_name = file.enum_values[value]
        yield Hit("enum-value-used-in-same-file", stmt, type_name,
                  f"{type_name} value {value!r}")


def partitioned_tables(statements: Sequence[Statement]) -> set[str]:
    """Tables a file creates with PARTITION BY (later files of the directory learn them)."""
    return {relname(s.node.relation) for s in statements
            if isinstance(s.node, ast.CreateStmt) and s.node.partspec is not None}
