"""The World the steps act on: the topology, one AWS session per tier, the guard in front
of every write, and where each tier's database is reached. The same World serves the sim
and real accounts; it never imports the sim.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import boto3

from harness import guard
from harness.io.aws.session import caller_account, tier_session
from harness.io.db.endpoints import Databases, DsnDatabases
from harness.topology import Tier, Topology


@dataclass
class World:
    topology: Topology
    backend: str  # "sim" | "aws"
    allow_prod_write: bool = False
    databases: Databases = field(default_factory=DsnDatabases)
    _sessions: dict[str, boto3.Session] = field(default_factory=dict, repr=False)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    @property
    def simulated(self) -> bool:
        return self.backend == "sim"

    def with_prod_write(self, allowed: bool) -> World:
        """The same world (sessions shared) with the production-write flag set to ``allowed``."""
        return replace(self, allow_prod_write=allowed)

    def tier(self, name: str) -> Tier:
        return self.topology.tier(name)

    def session(self, tier: str) -> boto3.Session:
        if tier not in self._sessions:
            self._sessions[tier] = tier_session(self.tier(tier), self.topology.region)
        return self._sessions[tier]

    def client(self, tier: str, service: str) -> Any:
        """A boto3 client acting as ``tier``'s caller (cached per tier and service)."""
        key = (tier, service)
        if key not in self._clients:
            self._clients[key] = self.session(tier).client(service)  # type: ignore[call-overload]
        return self._clients[key]

    def caller_account(self, tier: str) -> str:
        return caller_account(self.session(tier))

    def guard_write(self, target: str, *, as_tier: str | None = None, action: str = "write") -> None:
        """Refuse unless the caller (``as_tier``'s credentials, default the target's own) is
        in the target tier's account; production also needs ``allow_prod_write``."""
        account = self.caller_account(as_tier or target)
        guard.check_write(self.tier(target), account, allow_prod=self.allow_prod_write,
                          action=action)
