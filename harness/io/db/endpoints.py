"""Which DSN reaches a tier's database, and a restored instance's endpoint.

Real tiers: the DSN comes from the environment variable the topology names (``dsn_env``,
usually through an SSM tunnel); a restored endpoint is reached with the same credentials,
at ``<dsn_env>_RESTORED`` when set (e.g. a second tunnel), else at the endpoint itself.
The sim supplies its own implementation backed by its data plane.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from psycopg.conninfo import make_conninfo

from harness.io.db.fingerprint import DatabaseUnreachable
from harness.topology import Tier


class Databases(Protocol):
    """Where the data path of a tier is reached."""

    def source_dsn(self, tier: Tier) -> str: ...

    def endpoint_dsn(self, tier: Tier, host: str, port: int | None) -> str: ...


@dataclass(frozen=True)
class DsnDatabases:
    """Real tiers: DSNs from the environment (never from the topology file)."""

    env: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def source_dsn(self, tier: Tier) -> str:
        name = tier.dsn_env
        value = self.env.get(name) if name else None
        if not value:
            raise DatabaseUnreachable(
                f"no DSN for tier '{tier.name}'s database ({tier.db_instance or '-'}), so the "
                "data path was NOT verified",
                where=f"environment variable {name}" if name else f"[tiers.{tier.name}]",
                fix=f"export {name}=postgresql://user:password@host:port/db (e.g. through the "
                    "SSM tunnel)" if name else f"set dsn_env under [tiers.{tier.name}]")
        return value

    def endpoint_dsn(self, tier: Tier, host: str, port: int | None) -> str:
        override = self.env.get(f"{tier.dsn_env}_RESTORED") if tier.dsn_env else None
        if override:
            return override
        return make_conninfo(self.source_dsn(tier), host=host,
                             **({"port": str(port)} if port else {}))
