"""The sim backend: moto in-process with one account per AWS tier, one sim app per AWS tier
whose URL replaces the tier's health_url, and the data plane (a real PostgreSQL database
behind every RDS instance and snapshot, checked by the app's deep health through the tier's
DB-host secret). Start, seed, reset between scenarios, stop; plus the rehearsal hooks."""

from __future__ import annotations

import gc
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws

from harness.backend.faults import KNOWN_FAULTS
from harness.backend.sim.app import DATABASE_PATH, AppSettings, DatabaseProbe, SimApp
from harness.backend.sim.atomic import atomic_ssm_puts
from harness.backend.sim.databases import HostDatabaseProbe, SimDatabases, seed_database
from harness.backend.sim.dataplane import DataPlane
from harness.backend.sim.deployments import DeploymentModel
from harness.backend.sim.gate_cycle import GateStage, SimCycle
from harness.backend.sim.incident import IncidentStage, SimIncident
from harness.backend.sim.seed import SeededTier, seed_tier
from harness.backend.sim.snapshot import MotoState
from harness.io.aws.session import tier_session
from harness.io.db.providers import PostgresServer, open_postgres
from harness.topology import Tier, Topology
from harness.world import World

SIM_ROLE = "harness-sim"

# The sim polls fast so that its recovery times are measured to about 0.1 s, and gives up
# long before the 15-minute target: a breached rehearsal should not wait a quarter hour.
SIM_POLL_S = 0.1
SIM_DEADLINE_BASE_S = 2.0
SIM_DEADLINE_LATENCIES = 4
# RDS in the sim answers at once: poll it fast, give up soon.
SIM_RDS_POLL_S = 0.05
SIM_RDS_DEADLINE_S = 10.0


# ECS keeps a replaced task registered for the target group's deregistration delay (300 s by
# default on AWS); the sim's is short, so a rehearsal does not wait minutes for it.
SIM_DEREGISTRATION_DELAY_S = 0.2


@dataclass(frozen=True)
class SimOptions:
    rollout_latency_s: float = 1.0
    faults: frozenset[str] = frozenset()
    # The PostgreSQL behind the data plane: this DSN, else Docker, else embedded (pgserver).
    postgres_dsn: str | None = None
    deregistration_delay_s: float = SIM_DEREGISTRATION_DELAY_S

    @property
    def deadline_s(self) -> float:
        return (SIM_DEADLINE_BASE_S + SIM_DEADLINE_LATENCIES * self.rollout_latency_s
                + self.deregistration_delay_s)


def sim_tier(tier: Tier) -> Tier:
    """The tier as the sim serves it: credentials by assuming a role in its moto account, the
    sim app's deep health saying which database it uses, databases reached without tunnels."""
    if not tier.is_aws:
        return tier
    return replace(tier, aws_profile=None, role_arn=f"arn:aws:iam::{tier.account_id}:role/{SIM_ROLE}",
                   deep_health_database_path=DATABASE_PATH, db_tunnel=None)


def sim_credentials(tier: Tier) -> dict[str, str]:
    """Basic-auth credentials for a tier that needs them, for the env vars it names."""
    if not (tier.basic_auth_user_env and tier.basic_auth_password_env):
        return {}
    return {tier.basic_auth_user_env: "sim-user",
            tier.basic_auth_password_env: f"sim-{secrets.token_urlsafe(12)}"}


class SimBackend:
    """One moto world for a whole pytest session (or CLI run); ``reset`` gives a clean one."""

    name = "sim"
    simulated = True

    def __init__(self, topology: Topology, options: SimOptions | None = None) -> None:
        self.options = options or SimOptions()
        self.topology = replace(
            topology, tiers={name: sim_tier(t) for name, t in topology.tiers.items()},
            application_poll_s=SIM_POLL_S, application_deadline_s=self.options.deadline_s,
            rds_poll_s=SIM_RDS_POLL_S, rds_deadline_s=SIM_RDS_DEADLINE_S)
        self._mock = mock_aws()
        self._atomic = atomic_ssm_puts()
        self.deployments = DeploymentModel(self.options.rollout_latency_s,
                                           self.options.deregistration_delay_s, self._stuck)
        # In-process moto must never see a profile or endpoint meant for a real account.
        self._env = mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": topology.region,
                                                 "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})
        self.apps: dict[str, SimApp] = {}
        self._sessions: dict[str, boto3.Session] = {}
        self.seeded: dict[str, SeededTier] = {}
        self._started = False
        self._fresh = False
        self.dataplane = DataPlane(lambda: open_postgres(self.options.postgres_dsn),
                                   self.options.faults)
        self.databases = SimDatabases(self.dataplane)
        self._gate: GateStage | None = None
        self._seeded_state: MotoState | None = None
        self._incidents: IncidentStage | None = None

    def start(self) -> SimBackend:
        # Set before the patched environment, so they outlive the sim: the redaction pass at
        # the end of a run reads them to mask them.
        for tier in self.aws_tiers():
            for name, value in sim_credentials(tier).items():
                os.environ.setdefault(name, value)
        self._env.start()
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE",
                     "AWS_SHARED_CREDENTIALS_FILE"):
            os.environ.pop(name, None)
        self._mock.start()
        self._atomic.start()
        self.deployments.install()
        self.dataplane.install()
        self.dataplane.prewarm()
        self._started = True
        self.seed()
        self._seeded_state = MotoState.take()
        self.dataplane.mark_baseline()
        self._start_apps()
        self.dataplane.ready()
        # Starting moto leaves a large heap behind; a full collection of it pauses the process
        # for up to ~0.5 s, which would land inside a measured recovery (or, collected first,
        # delay the start by as much). Frozen, the collector never walks it again: it is
        # still freed by reference counting; only its few reference cycles stay. It stays
        # frozen after ``stop`` too, or pytest's collections at the end of a run walk it.
        gc.freeze()
        self._fresh = True
        return self

    def _start_apps(self) -> None:
        tiers = dict(self.topology.tiers)
        for tier in self.aws_tiers():
            auth = None
            if tier.basic_auth_user_env and tier.basic_auth_password_env:
                auth = (os.environ[tier.basic_auth_user_env],
                        os.environ[tier.basic_auth_password_env])
            app = SimApp(tier, AppSettings(basic_auth=auth), self._session_factory(tier),
                         database=HostDatabaseProbe(self._dsn_for_host(tier.account_id or "")))
            self.apps[tier.name] = app
            tiers[tier.name] = replace(tier, health_url=app.start(), tls_verify=True)
        self.topology = replace(self.topology, tiers=tiers)

    def reconfigure(self, options: SimOptions) -> None:
        """New knobs for the running sim (rollout latency, faults); takes effect at once."""
        self.options = options
        self.topology = replace(self.topology, application_deadline_s=options.deadline_s)
        self.deployments.rollout_latency_s = options.rollout_latency_s
        self.deployments.deregistration_delay_s = options.deregistration_delay_s
        self.dataplane.faults = options.faults
        if self._incidents is not None:
            self._incidents.faults = options.faults

    def _stuck(self, backend: Any, cluster: str, service: str, serving: str) -> bool:
        """Fault never-recover: while a broken revision serves, no new deployment starts."""
        if "never-recover" not in self.options.faults:
            return False
        app = next((a for a in self.apps.values() if a.tier.account_id == backend.account_id
                    and a.tier.cluster == cluster and a.tier.service == service), None)
        if app is None:
            return False
        td = backend.describe_task_definition(serving)
        container = td.container_definitions[0]
        env = {e["name"]: e["value"] for e in container.get("environment") or []}
        name, value = app.tier.drill_break
        return env.get(name) == value or container["image"].rsplit(":", 1)[-1] in app.broken_shas

    def _dsn_for_host(self, account: str) -> Callable[[str], str]:
        return lambda host: self.dataplane.endpoint_dsn(account, host)

    def _session_factory(self, tier: Tier) -> Callable[[], boto3.Session]:
        """The app reuses the session the seed assumed for its tier (the assumed role is
        part of the seeded state that every reset puts back)."""
        return lambda: self._sessions[tier.name]

    # -- the Backend protocol -----------------------------------------------------------------
    @property
    def rehearsal(self) -> SimBackend:
        return self

    def session(self, tier: Tier) -> boto3.Session:
        return tier_session(tier, self.topology.region)

    # -- the Rehearsal protocol ---------------------------------------------------------------
    def break_build(self, tier: str, sha: str) -> None:
        """From now on, a revision running image ``sha`` on ``tier`` answers its deep health
        non-ok (until the next reset)."""
        self.apps[tier].broken_shas.add(sha)

    def stage_gate_cycle(self, world: World, cycle: str | None) -> SimCycle:
        return self.gate.prepare(self, world, cycle)

    def stage_data_incident(self, world: World, tier: str, version: str) -> SimIncident:
        if self._incidents is None:
            self._incidents = IncidentStage(self.options.faults)
        return self._incidents.stage(world, tier, version)

    def scratch_server(self) -> PostgresServer:
        return self.dataplane.server

    def attach_database(self, tier: str, probe: DatabaseProbe) -> None:
        """Plug a database probe into a tier's sim app (deep health asks it)."""
        self.apps[tier].database = probe

    def seed(self) -> None:
        self._sessions = {t.name: tier_session(t, self.topology.region) for t in self.aws_tiers()}
        self.seeded = {}
        for tier in self.aws_tiers():
            self.seeded[tier.name] = seed_tier(self._sessions[tier.name], tier)
            seed_database(self._sessions[tier.name], tier)

    def aws_tiers(self) -> list[Tier]:
        return [t for t in self.topology.tiers.values() if t.is_aws]

    def notes(self) -> list[str]:
        """What a reader of the evidence must know about this sim's settings."""
        o = self.options
        lines = [f"Sim rollout latency {o.rollout_latency_s:g} s (a new deployment's tasks start "
                 f"then), deregistration delay {o.deregistration_delay_s:g} s (the tasks it "
                 "replaced are stopped then); recovery polled every "
                 f"{SIM_POLL_S:g} s and given up after {o.deadline_s:g} s (sim deadline = "
                 f"{SIM_DEADLINE_BASE_S:g} s + {SIM_DEADLINE_LATENCIES} x rollout latency + "
                 "deregistration delay; the RTO targets are unchanged). ECS deployments are "
                 "modelled by the sim: moto keeps none."]
        lines += [f"Sim fault injected: {f} ({KNOWN_FAULTS[f]})." for f in sorted(o.faults)]
        return lines + self.dataplane.notes()

    def reset(self) -> None:
        """A clean world: moto's state put back as it was seeded, every database the last
        scenario made dropped (skipped when nothing used the world yet)."""
        if self._fresh:
            self._fresh = False
            return
        assert self._seeded_state is not None, "start the sim first"
        self._seeded_state.restore()
        # The seeded services' deployments come back with moto's state; with no timing
        # recorded, the model takes them as running already.
        self.deployments.reset()
        self.dataplane.reset()
        for app in self.apps.values():
            app.reset()

    @property
    def gate(self) -> GateStage:
        """The promotion gate's staged cycle (its GitHub stand-in starts on first use)."""
        if self._gate is None:
            self._gate = GateStage(self.options.faults)
        return self._gate

    def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        if self._gate is not None:
            self._gate.close()
            self._gate = None
        if self._incidents is not None:
            self._incidents.close()
            self._incidents = None
        for app in self.apps.values():
            app.stop()
        self._atomic.stop()
        self.deployments.uninstall()
        self.dataplane.uninstall()
        self.dataplane.close()
        self._mock.stop()
        self._env.stop()

    def __enter__(self) -> SimBackend:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
