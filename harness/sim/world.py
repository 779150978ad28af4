"""Start, seed, reset and stop the sim: moto in-process with one account per AWS tier."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from unittest import mock

from moto import mock_aws

from harness.aws.session import tier_session
from harness.errors import ConfigError
from harness.sim.atomic import atomic_ssm_puts
from harness.topology import Tier, Topology

SIM_ROLE = "harness-sim"

# Fault names the sim understands; each later capability adds its own here.
KNOWN_FAULTS: dict[str, str] = {}


@dataclass(frozen=True)
class SimOptions:
    rollout_latency_s: float = 1.0
    faults: frozenset[str] = frozenset()

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
        self._atomic = atomic_ssm_puts()
        # In-process moto must never see a profile or endpoint meant for a real account.
        self._env = mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": topology.region})
        self._started = False
        self._fresh = False

    def start(self) -> SimWorld:
        self._env.start()
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE",
                     "AWS_SHARED_CREDENTIALS_FILE"):
            os.environ.pop(name, None)
        self._mock.start()
        self._atomic.start()
        self._started = True
        self.seed()
        self._fresh = True
        return self

    def seed(self) -> None:
        for tier in self.aws_tiers():
            ecs = tier_session(tier, self.topology.region).client("ecs")
            ecs.create_cluster(clusterName=tier.cluster)

    def aws_tiers(self) -> list[Tier]:
        return [t for t in self.topology.tiers.values() if t.is_aws]

    def reset(self) -> None:
        """A clean world: moto emptied and re-seeded (skipped when nothing used it yet)."""
        if self._fresh:
            self._fresh = False
            return
        self._mock.reset()
        self.seed()

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self._atomic.stop()
        self._mock.stop()
        self._env.stop()

    def __enter__(self) -> SimWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
