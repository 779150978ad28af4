"""Read from a database what the classification rules cannot see in a file: the volatility
of the functions the file's column defaults call (``pg_proc``), the partitioned tables
(``pg_class``) and the server's major version."""

from __future__ import annotations

import psycopg

from harness.migrations.discovery import Migration
from harness.migrations.tree import function_names
from harness.migrations.volatility import Facts, most_volatile

_VOLATILITY = "SELECT lower(proname), provolatile::text FROM pg_proc WHERE lower(proname) = ANY(%s)"
_PARTITIONED = "SELECT relname FROM pg_class WHERE relkind = 'p'"


def read_facts(dsn: str, migration: Migration) -> Facts:
    names = sorted({f for s in migration.forward.statements for f in function_names(s.node)})
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(_VOLATILITY, (names,)).fetchall() if names else []
        partitioned = frozenset(str(r[0]) for r in conn.execute(_PARTITIONED).fetchall())
        major = conn.info.server_version // 10000
    seen: dict[str, list[str]] = {}
    for name, volatility in rows:
        seen.setdefault(str(name), []).append(str(volatility))
    return Facts({n: most_volatile(v) for n, v in seen.items()}, partitioned, major)
