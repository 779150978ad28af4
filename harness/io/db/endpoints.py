"""Which DSN reaches a tier's database, and a restored instance's endpoint.

Real tiers: the credentials and database name come from the environment variable the
topology names (``dsn_env``). With a ``db_tunnel`` in the topology the harness starts that
command for the tier's instance (its endpoint read from RDS) and for each restored instance,
and connects through the tunnel's local port; without one, the DSN reaches the tier's
database as given (e.g. through a tunnel opened by hand) and a restored endpoint is tried
with the same credentials, at ``<dsn_env>_RESTORED`` when set, else at the endpoint itself.
The sim supplies its own implementation backed by its data plane.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Protocol

from psycopg.conninfo import make_conninfo

from harness.io.db.fingerprint import DatabaseUnreachable
from harness.io.db.tunnel import Tunnels
from harness.topology import Tier

# The endpoint (host, port) of a tier's own database instance.
EndpointOf = Callable[[Tier], tuple[str, int | None]]


class Databases(Protocol):
    """Where the data path of a tier is reached."""

    def source_dsn(self, tier: Tier) -> str: ...

    def endpoint_dsn(self, tier: Tier, host: str, port: int | None) -> str: ...


class DsnDatabases:
    """Real tiers: DSNs from the environment (never from the topology file), through the
    tier's ``db_tunnel`` when it has one."""

    def __init__(self, env: Mapping[str, str] | None = None,
                 endpoint_of: EndpointOf | None = None) -> None:
        self.env = os.environ if env is None else env
        self.endpoint_of = endpoint_of
        self._tunnels: dict[str, Tunnels] = {}

    def source_dsn(self, tier: Tier) -> str:
        given = self._given(tier)
        if not tier.db_tunnel:
            return given
        if self.endpoint_of is None:
            raise DatabaseUnreachable(f"tier '{tier.name}' has a db_tunnel but nothing can look "
                                      "up its instance's endpoint", fix="use the aws backend")
        host, port = self.endpoint_of(tier)
        return self._through_tunnel(tier, given, host, port)

    def endpoint_dsn(self, tier: Tier, host: str, port: int | None) -> str:
        override = self.env.get(f"{tier.dsn_env}_RESTORED") if tier.dsn_env else None
        if override:
            return override
        given = self._given(tier)
        if tier.db_tunnel:
            return self._through_tunnel(tier, given, host, port)
        return make_conninfo(given, host=host, **({"port": str(port)} if port else {}))

    def close(self) -> None:
        """Stop every tunnel this object started."""
        while self._tunnels:
            self._tunnels.popitem()[1].close()

    def _through_tunnel(self, tier: Tier, given: str, host: str, port: int | None) -> str:
        assert tier.db_tunnel
        tunnels = self._tunnels.setdefault(tier.name, Tunnels(tier.name, tier.db_tunnel))
        local = tunnels.local_port(host, port)
        return make_conninfo(given, host="127.0.0.1", port=str(local))

    def _given(self, tier: Tier) -> str:
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
