"""Real AWS accounts: sessions from each tier's profile and role, databases from the DSN
environment variables the topology names. Nothing is reset between scenarios."""

from __future__ import annotations

import boto3

from harness.backend.base import Rehearsal
from harness.io.aws.session import tier_session
from harness.io.db.endpoints import Databases, DsnDatabases
from harness.topology import Tier, Topology


class AwsBackend:
    name = "aws"
    simulated = False
    rehearsal: Rehearsal | None = None

    def __init__(self, topology: Topology, databases: Databases | None = None) -> None:
        self.topology = topology
        self.databases: Databases = databases or DsnDatabases()

    def session(self, tier: Tier) -> boto3.Session:
        return tier_session(tier, self.topology.region)

    def notes(self) -> list[str]:
        return []

    def reset(self) -> None:
        return None

    def close(self) -> None:
        return None
