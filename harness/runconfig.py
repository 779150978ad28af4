"""What one run is: backend, topology, tier, cycle/SHA, sim knobs, gate inputs, where the
evidence goes. Built once from parsed options (the CLI's or pytest's) and validated here;
the CLI hands the object itself to pytest, never as arguments to parse again."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness import topology as topology_mod
from harness.backend.faults import FAULT_COMMANDS, KNOWN_FAULTS, faults_for
from harness.errors import ConfigError
from harness.evidence.journal import Journal
from harness.gate.types import GateOptions
from harness.topology import Topology

# An existing PostgreSQL for the sim's data plane (no start-up cost); read from the
# environment so a DSN with a password never shows in a process listing.
SIM_POSTGRES_DSN_ENV = "HARNESS_SIM_POSTGRES_DSN"

Getter = Callable[[str], Any]

# A commit id as git prints it (abbreviated or whole; SHA-256 repositories included).
SHA = re.compile(r"^[0-9a-f]{7,64}$")
# A cycle id goes into snapshot names, tags, evidence and CI outputs: one plain token.
CYCLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_ROLLOUT_LATENCY_S = 60.0


def check_sha(value: str | None, flag: str = "--sha") -> str | None:
    if value is None:
        return None
    if not SHA.match(value):
        raise ConfigError(f"{flag} {value!r} is not a commit id",
                          fix=f"pass the hexadecimal commit SHA (7 to 64 characters, lower case), "
                              f"e.g. {flag} $(git rev-parse HEAD)")
    return value


def check_cycle(value: str | None) -> str | None:
    if value is None:
        return None
    if not CYCLE.match(value):
        raise ConfigError(f"--cycle {value!r} is not a cycle id",
                          fix="pass one token of letters, digits, '.', '_' or '-' (at most 64 "
                              "characters, no spaces or newlines), e.g. --cycle NQU-865")
    return value


def check_faults(faults: tuple[str, ...], *, backend: str, kind: str) -> None:
    """Every fault known, on the sim, and meant for this command."""
    if backend != "sim" and faults:
        raise ConfigError("--sim-fault only applies to the sim backend",
                          fix="drop --sim-fault, or use --backend sim")
    unknown = sorted(set(faults) - KNOWN_FAULTS.keys())
    if unknown:
        raise ConfigError(f"unknown sim fault(s): {', '.join(unknown)}",
                          fix=f"known faults: {', '.join(sorted(KNOWN_FAULTS))}")
    if kind == "tests":
        return
    misplaced = sorted(f for f in faults if kind not in FAULT_COMMANDS[f])
    if misplaced:
        owners = "; ".join(f"{f} is for {', '.join(sorted(FAULT_COMMANDS[f]))}" for f in misplaced)
        accepted = ", ".join(faults_for(kind)) or "none"
        raise ConfigError(f"sim fault(s) {', '.join(misplaced)} do nothing in `harness {kind}` "
                          f"({owners})", fix=f"`harness {kind}` accepts: {accepted}")


@dataclass(frozen=True)
class SimKnobs:
    rollout_latency_s: float = 1.0
    faults: tuple[str, ...] = ()
    postgres_dsn: str | None = None
    deregistration_delay_s: float = 0.2


@dataclass(frozen=True)
class RunConfig:
    backend: Literal["sim", "aws"]
    topology: Topology
    tier: str
    kind: str = "tests"
    reports_dir: Path | None = None
    run_id: str | None = None
    cycle: str | None = None
    sha: str | None = None
    sim: SimKnobs = SimKnobs()
    allow_prod_write: bool = False
    progress: bool = False
    gate: GateOptions = field(default_factory=GateOptions)

    @classmethod
    def from_options(cls, get: Getter, *, kind: str | None = None,
                     reports_dir: Path | None = None, run_id: str | None = None,
                     progress: bool = False) -> RunConfig:
        """The run described by parsed options; ``get(dest)`` reads one (argparse namespace or
        pytest config). Every check of the options is made here, before any work."""
        backend = get("backend")
        faults = tuple(get("sim_fault") or ())
        latency = float(get("sim_rollout_latency"))
        if not math.isfinite(latency) or not 0 <= latency <= MAX_ROLLOUT_LATENCY_S:
            raise ConfigError(f"--sim-rollout-latency {latency} is not a number of seconds "
                              f"from 0 to {MAX_ROLLOUT_LATENCY_S:g}",
                              fix="pass e.g. --sim-rollout-latency 1.0")
        delay = float(get("sim_deregistration_delay"))
        if not math.isfinite(delay) or delay < 0:
            raise ConfigError(f"--sim-deregistration-delay {delay} is not a finite number of "
                              "seconds >= 0", fix="pass e.g. --sim-deregistration-delay 1.0")
        check_faults(faults, backend=backend, kind=kind or "tests")
        cycle, sha = check_cycle(get("cycle")), check_sha(get("sha"))
        topology = topology_mod.load(get("topology"))
        tier = get("tier")
        topology.tier(tier)
        return cls(
            backend=backend, topology=topology, tier=tier, kind=kind or "tests",
            reports_dir=reports_dir, run_id=run_id, cycle=cycle, sha=sha,
            sim=SimKnobs(latency, faults, os.environ.get(SIM_POSTGRES_DSN_ENV) or None, delay),
            allow_prod_write=bool(get("allow_prod_write")), progress=progress,
            gate=gate_options(get))

    def new_journal(self) -> Journal:
        journal = Journal(kind=self.kind, backend=self.backend, topology=self.topology.name,
                          tier=self.tier, cycle=self.cycle, sha=self.sha,
                          run_id=self.run_id or "")
        # Only the run's own tier: another tier's TLS setting is noise in its report.
        for tier in (self.topology.tier(self.tier),):
            if not tier.tls_verify:
                journal.add_note(f"TLS verification is OFF for tier '{tier.name}' health checks "
                                 f"({tier.health_url}), as the runbook does for the ALB host.")
        return journal


def gate_options(get: Getter) -> GateOptions:
    def path(dest: str) -> Path | None:
        value = _optional(get, dest)
        return Path(value).resolve() if value else None

    billing = _optional(get, "gate_billing")
    return GateOptions(repo=path("repo"), prod_sha=check_sha(_optional(get, "prod_sha"), "--prod-sha"),
                       billing=None if billing is None else billing == "yes",
                       migrations_dir=path("gate_migrations"),
                       take_snapshot=bool(_optional(get, "take_snapshot")))


def _optional(get: Getter, dest: str) -> Any:
    """A gate option, or None where the command does not declare it."""
    try:
        return get(dest)
    except (AttributeError, ValueError):
        return None
