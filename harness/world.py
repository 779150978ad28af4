"""The World the steps and operations act on: the topology as the backend serves it, one
AWS session per tier, the guard in front of every write, and where each tier's database is
reached. The same World serves the sim and real accounts; it never asks which it has.
"""

from __future__ import annotations

import copy
from typing import Any

import boto3

from harness import guard
from harness.backend.base import Backend, Rehearsal
from harness.errors import AwsOperationError
from harness.io.db.endpoints import Databases
from harness.topology import Tier, Topology


class World:
    def __init__(self, backend: Backend, *, allow_prod_write: bool = False,
                 topology: Topology | None = None) -> None:
        self.backend = backend
        # A World may see a variant of the backend's topology (e.g. a tier reached with
        # another tier's credentials, to prove the guard refuses it).
        self.topology = topology or backend.topology
        self.allow_prod_write = allow_prod_write
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._accounts: dict[str, str] = {}

    @property
    def databases(self) -> Databases:
        return self.backend.databases

    @property
    def rehearsal(self) -> Rehearsal | None:
        return self.backend.rehearsal

    def with_prod_write(self, allowed: bool) -> World:
        """The same world (sessions shared) with the production-write flag set to ``allowed``."""
        other = copy.copy(self)
        other.allow_prod_write = allowed
        return other

    def tier(self, name: str) -> Tier:
        return self.topology.tier(name)

    def session(self, tier: str) -> boto3.Session:
        if tier not in self._sessions:
            self._sessions[tier] = self.backend.session(self.tier(tier))
        return self._sessions[tier]

    def client(self, tier: str, service: str) -> Any:
        """A boto3 client acting as ``tier``'s caller (cached per tier and service)."""
        key = (tier, service)
        if key not in self._clients:
            self._clients[key] = self.session(tier).client(service)  # type: ignore[call-overload]
        return self._clients[key]

    def caller_account(self, tier: str) -> str:
        """The account ``tier``'s credentials act in (STS, asked once per world and tier)."""
        if tier not in self._accounts:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                identity = self.client(tier, "sts").get_caller_identity()
            except (BotoCoreError, ClientError) as exc:
                raise AwsOperationError(f"cannot read the caller identity (STS) for tier "
                                        f"'{tier}': {exc}",
                                        fix="check the tier's AWS credentials") from exc
            self._accounts[tier] = str(identity["Account"])
        return self._accounts[tier]

    def guard_write(self, target: str, *, as_tier: str | None = None, action: str = "write") -> None:
        """Refuse unless the caller (``as_tier``'s credentials, default the target's own) is
        in the target tier's account; production also needs ``allow_prod_write``."""
        account = self.caller_account(as_tier or target)
        guard.check_write(self.tier(target), account, allow_prod=self.allow_prod_write,
                          action=action)
