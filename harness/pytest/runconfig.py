"""What one run is: backend, topology, tier, cycle/SHA, sim knobs, where evidence goes.

Shared by the CLI (which builds the pytest arguments) and the pytest plugin (which reads
them back), so each option is defined once.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from harness import topology as topology_mod
from harness.evidence.journal import Journal, write_run
from harness.redact import Redactor
from harness.topology import Topology
from harness.world import World

SIM_POSTGRES_DSN_ENV = "HARNESS_SIM_POSTGRES_DSN"


@dataclass(frozen=True)
class SimKnobs:
    rollout_latency_s: float
    faults: tuple[str, ...]


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
    sim: SimKnobs = SimKnobs(1.0, ())
    allow_prod_write: bool = False
    progress: bool = False

    # -- options, defined once for pytest and the CLI ----------------------------------------
    @staticmethod
    def add_options(group: Any) -> None:
        """``group`` is a pytest option group or an argparse parser: both have addoption-like
        methods, so the CLI and pytest share names and defaults."""
        add = group.addoption if hasattr(group, "addoption") else group.add_argument
        add("--backend", choices=("sim", "aws"), default="sim",
            help="sim = moto + local app + embedded PostgreSQL (default); aws = real accounts")
        add("--topology", default=None, metavar="FILE",
            help="topology TOML (default: the bundled runbook topology)")
        add("--tier", default="staging", help="tier to act on (default: staging)")
        add("--cycle", default=None, help="cycle id (e.g. NQU-865)")
        add("--sha", default=None, help="validated commit SHA")
        add("--sim-rollout-latency", type=float, default=1.0, metavar="SECONDS",
            help="sim: seconds before a new task definition starts answering (default 1.0)")
        add("--sim-fault", action="append", default=[], metavar="NAME",
            help="sim: inject a named fault (repeatable; `harness drill --list-faults`)")
        add("--allow-prod-write", action="store_true", default=False,
            help="permit writes to the production tier (still only with prod credentials)")

    @staticmethod
    def add_pytest_only_options(group: Any) -> None:
        group.addoption("--reports", default=None, metavar="DIR",
                        help="write evidence for this run under DIR/<run-id>/")
        group.addoption("--run-id", default=None, help="run id (default: generated)")
        group.addoption("--run-kind", default="tests", help="drill | gate | promote | tests")
        group.addoption("--harness-progress", action="store_true", default=False,
                        help="print live scenario progress")

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> RunConfig:
        opt = config.getoption
        reports = opt("--reports")
        return cls(
            backend=opt("--backend"),
            topology=topology_mod.load(opt("--topology")),
            tier=opt("--tier"),
            kind=opt("--run-kind"),
            reports_dir=Path(reports) if reports else None,
            run_id=opt("--run-id"),
            cycle=opt("--cycle"),
            sha=opt("--sha"),
            sim=SimKnobs(opt("--sim-rollout-latency"), tuple(opt("--sim-fault"))),
            allow_prod_write=opt("--allow-prod-write"),
            progress=opt("--harness-progress"),
        )

    @staticmethod
    def pytest_args(ns: argparse.Namespace) -> list[str]:
        """The CLI's parsed shared options, turned back into pytest arguments."""
        args = ["--backend", ns.backend, "--tier", ns.tier,
                "--sim-rollout-latency", str(ns.sim_rollout_latency)]
        for flag, value in (("--topology", ns.topology), ("--cycle", ns.cycle),
                            ("--sha", ns.sha)):
            if value:
                args += [flag, value]
        for fault in ns.sim_fault:
            args += ["--sim-fault", fault]
        if ns.allow_prod_write:
            args.append("--allow-prod-write")
        return args

    # -- the run -------------------------------------------------------------------------------
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

    def sim_options(self) -> Any:
        from harness.backend.sim import SimOptions

        # An existing server for the sim's data plane (no start-up cost); from the environment
        # so a DSN with a password never shows in a process listing.
        return SimOptions(rollout_latency_s=self.sim.rollout_latency_s,
                          faults=frozenset(self.sim.faults),
                          postgres_dsn=os.environ.get(SIM_POSTGRES_DSN_ENV) or None)

    @contextmanager
    def open_backend(self) -> Iterator[Any]:
        """The sim for a whole session (None for real accounts)."""
        if self.backend == "aws":
            yield None
            return
        from harness.backend.sim import SimWorld

        with SimWorld(self.topology, self.sim_options()) as sim:
            yield sim

    @staticmethod
    def backend_notes(backend: Any) -> list[str]:
        """What the evidence must say about the backend (the sim's knobs and faults)."""
        return list(backend.notes()) if backend is not None else []

    def world(self, backend: Any) -> World:
        if backend is None:
            return World(self.topology, "aws", allow_prod_write=self.allow_prod_write)
        backend.reset()
        return World(backend.topology, "sim", allow_prod_write=self.allow_prod_write,
                     databases=backend.databases)

    def write(self, journal: Journal, redactor: Redactor) -> Path:
        assert self.reports_dir is not None
        return write_run(journal.to_json(), self.reports_dir, redactor)
