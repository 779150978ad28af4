"""Small readers over pglast parse-tree nodes: names, walking, constants. Pure."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast


def walk(node: object) -> Iterator[ast.Node]:
    """``node`` and every node below it, depth first."""
    if isinstance(node, ast.Node):
        yield node
        for slot in getattr(node, "__slots__", ()):
            yield from walk(getattr(node, slot, None))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from walk(item)


def strings(names: object) -> str:
    """``(String('public'), String('users'))`` -> ``public.users``."""
    if isinstance(names, ast.String):
        return str(names.sval)
    if isinstance(names, tuple | list):
        return ".".join(str(n.sval) for n in names if isinstance(n, ast.String))
    return ""


def last_name(names: object) -> str:
    """The unqualified name: ``public.users`` -> ``users``."""
    return strings(names).rsplit(".", 1)[-1]


def relname(relation: object) -> str:
    return str(relation.relname) if isinstance(relation, ast.RangeVar) else ""


def function_names(node: object) -> Iterator[str]:
    """The (unqualified, lower-case) name of every function called under ``node``."""
    for found in walk(node):
        if isinstance(found, ast.FuncCall):
            yield last_name(found.funcname).lower()


def string_constants(node: object) -> Iterator[str]:
    for found in walk(node):
        if isinstance(found, ast.A_Const) and isinstance(found.val, ast.String):
            yield str(found.val.sval)


def has_option(params: object, name: str) -> bool:
    """True when a ``(NAME ...)`` option list holds ``name`` (e.g. REINDEX's CONCURRENTLY)."""
    items = params if isinstance(params, tuple | list) else ()
    return any(isinstance(p, ast.DefElem) and p.defname == name for p in items)
