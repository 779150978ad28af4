"""Which PostgreSQL a check used: how it was provided (DSN / Docker / embedded) and its exact
version, said the same way by the round trip and by drill step 3. Never a password."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict

_KINDS = {"dsn": "given by DSN", "docker": "Docker container", "embedded": "embedded (pgserver)"}


@dataclass(frozen=True)
class ServerInfo:
    kind: str  # dsn | docker | embedded, or "" when the caller cannot tell
    version: str  # e.g. "16.4"
    location: str  # host:port or socket directory, never credentials

    @property
    def label(self) -> str:
        provider = f", {_KINDS.get(self.kind, self.kind)}" if self.kind else ""
        return f"PostgreSQL {self.version}{provider}, at {self.location}"


def server_info(dsn: str, kind: str = "dsn") -> ServerInfo:
    """Ask the server at ``dsn`` its version (``SHOW server_version``)."""
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    version = str(row[0]).split()[0] if row else "unknown"
    return ServerInfo(kind, version, location(dsn))


def location(dsn: str) -> str:
    params = conninfo_to_dict(dsn)
    host = str(params.get("host") or "localhost")
    port = str(params.get("port") or "5432")
    if host.startswith("/"):
        return f"socket {host} (port {port})"
    return f"{host}:{port}"
