"""Start, seed, reset and stop the sim: moto in-process with one account per AWS tier, and
the data plane (a real PostgreSQL database behind every RDS instance and snapshot)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from unittest import mock

from moto import mock_aws

from harness.aws.session import tier_session
from harness.db.providers import open_postgres
from harness.errors import ConfigError
from harness.sim.dataplane import FAULTS as DATA_FAULTS
from harness.sim.dataplane import DataPlane, SimDatabases, seed_database
from harness.topology import Tier, Topology

SIM_ROLE = "harness-sim"

# Fault names the sim understands; each later capability adds its own here.
KNOWN_FAULTS: dict[str, str] = {**DATA_FAULTS}


@dataclass(frozen=True)
class SimOptions:
    rollout_latency_s: float = 1.0
    faults: frozenset[str] = frozenset()
    # The PostgreSQL behind the data plane: this DSN, else Docker, else embedded (pgserver).
    postgres_dsn: str | None = None

    def __post_init__(self) -> None:
        unknown = sorted(self.faults - KNOWN_FAULTS.keys())
        if unknown:
            known = ", ".join(sorted(KNOWN_FAULTS)) or "(none yet)"
            raise ConfigError(f"unknown sim fault(s): {', '.join(unknown)}",
                              fix=f"known faults: {known}")
        if self.rollout_latency_s < 0:
            raise ConfigError("the sim rollout latency cannot be negative",
                              fix="pass --sim-rollout-latency 0 or more seconds")


def sim_tier(tier: Tier) -> Tier:
    """The tier as the sim serves it: credentials by assuming a role in its moto account."""
    if not tier.is_aws:
        return tier
    return replace(tier, aws_profile=None, role_arn=f"arn:aws:iam::{tier.account_id}:role/{SIM_ROLE}")


class SimWorld:
    """One moto world for a whole pytest session (or CLI run); ``reset`` gives a clean one."""

    def __init__(self, topology: Topology, options: SimOptions | None = None) -> None:
        self.options = options or SimOptions()
        self.topology = replace(
            topology, tiers={name: sim_tier(t) for name, t in topology.tiers.items()})
        self._mock = mock_aws()
        # In-process moto must never see a profile or endpoint meant for a real account.
        self._env = mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": topology.region,
                                                 "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})
        self._started = False
        self._fresh = False
        self.dataplane = DataPlane(lambda: open_postgres(self.options.postgres_dsn),
                                   self.options.faults)
        self.databases = SimDatabases(self.dataplane)

    def start(self) -> SimWorld:
        self._env.start()
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE",
                     "AWS_SHARED_CREDENTIALS_FILE"):
            os.environ.pop(name, None)
        self._mock.start()
        self.dataplane.install()
        self._started = True
        self.seed()
        self._fresh = True
        return self

    def seed(self) -> None:
        for tier in self.aws_tiers():
            ecs = tier_session(tier, self.topology.region).client("ecs")
            ecs.create_cluster(clusterName=tier.cluster)
            seed_database(tier_session(tier, self.topology.region), tier)

    def aws_tiers(self) -> list[Tier]:
        return [t for t in self.topology.tiers.values() if t.is_aws]

    def reset(self) -> None:
        """A clean world: moto emptied and re-seeded (skipped when nothing used it yet)."""
        if self._fresh:
            self._fresh = False
            return
        self._mock.reset()
        self.dataplane.reset()
        self.seed()

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self.dataplane.uninstall()
        self.dataplane.close()
        self._mock.stop()
        self._env.stop()

    def __enter__(self) -> SimWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
