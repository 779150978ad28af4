"""Real AWS accounts: sessions from each tier's profile and role, databases from the DSN
environment variables the topology names (through each tier's ``db_tunnel`` when it has one,
stopped on close). Nothing is reset between scenarios."""

from __future__ import annotations

import boto3

from harness.backend.base import Rehearsal
from harness.errors import ConfigError
from harness.io.aws import rds
from harness.io.aws.session import tier_session
from harness.io.db.endpoints import Databases, DsnDatabases
from harness.topology import Tier, Topology
from harness.world import World


class AwsBackend:
    name = "aws"
    simulated = False
    rehearsal: Rehearsal | None = None

    def __init__(self, topology: Topology, databases: Databases | None = None) -> None:
        self.topology = topology
        self.databases: Databases = databases or DsnDatabases(endpoint_of=self._instance_endpoint)

    def session(self, tier: Tier) -> boto3.Session:
        return tier_session(tier, self.topology.region)

    def _instance_endpoint(self, tier: Tier) -> tuple[str, int | None]:
        """Where RDS says the tier's own instance answers (what its tunnel forwards to)."""
        found = rds.describe_instance(World(self), tier.name, tier.db_instance or "")
        if found is None or not found.host:
            raise ConfigError(f"RDS has no endpoint for tier '{tier.name}'s instance "
                              f"{tier.db_instance}", where=f"[tiers.{tier.name}] db_instance",
                              fix="check the instance name and that it is available")
        return found.host, found.port

    def notes(self) -> list[str]:
        return []

    def reset(self) -> None:
        return None

    def close(self) -> None:
        if isinstance(self.databases, DsnDatabases):
            self.databases.close()
