"""What the rules may know beyond the file itself: function volatility (from ``pg_proc``
when a database is at hand, else the built-in table below) and which tables are
partitioned. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

IMMUTABLE, STABLE, VOLATILE = "i", "s", "v"

# pg_proc.provolatile of built-in functions a column default commonly calls, the most
# volatile overload of each name (PostgreSQL 16; tests/test_migrations_volatility.py checks
# this table against a real server's pg_proc).
BUILTIN = {
    "random": VOLATILE, "gen_random_uuid": VOLATILE, "clock_timestamp": VOLATILE,
    "timeofday": VOLATILE, "nextval": VOLATILE, "random_normal": VOLATILE,
    "txid_current": STABLE, "now": STABLE, "statement_timestamp": STABLE,
    "transaction_timestamp": STABLE, "current_setting": STABLE, "to_char": STABLE,
    "lower": IMMUTABLE, "upper": IMMUTABLE, "md5": IMMUTABLE, "length": STABLE,
    "concat": STABLE, "jsonb_build_object": STABLE, "json_build_object": STABLE,
    "jsonb_build_array": STABLE, "array_fill": IMMUTABLE, "make_interval": IMMUTABLE,
    "date_trunc": STABLE, "to_timestamp": STABLE, "abs": IMMUTABLE,
}
# Functions of common extensions, absent from a bare server.
EXTENSIONS = {
    "uuid_generate_v1": VOLATILE, "uuid_generate_v1mc": VOLATILE,
    "uuid_generate_v4": VOLATILE,
}
_RANK = {IMMUTABLE: 0, STABLE: 1, VOLATILE: 2}


@dataclass(frozen=True)
class Facts:
    """``volatility``: function name -> ``i``/``s``/``v`` read from a database (the most
    volatile overload wins); ``partitioned``: names of partitioned tables; ``server_major``
    when a server is at hand."""

    volatility: Mapping[str, str] = field(default_factory=dict)
    partitioned: frozenset[str] = frozenset()
    server_major: int | None = None

    def volatility_of(self, function: str) -> str | None:
        """``i``, ``s``, ``v`` or None (unknown: no database said, not a known built-in)."""
        name = function.lower()
        return self.volatility.get(name) or BUILTIN.get(name) or EXTENSIONS.get(name)

    def with_partitioned(self, tables: set[str]) -> Facts:
        return replace(self, partitioned=self.partitioned | tables) if tables else self


def most_volatile(values: list[str]) -> str:
    return max(values, key=lambda v: _RANK.get(v, 2))
