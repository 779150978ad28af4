"""The promotion gate's data: its own options (beyond the shared --cycle/--sha/--backend ...,
defined once for the CLI and the pytest plugin), the resolved run, one item's result. Light
on purpose: the plugin imports it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

ItemStatus = Literal["passed", "failed", "not_applicable"]


@dataclass(frozen=True)
class ItemResult:
    """One checklist item's outcome; ``reason`` is the one line shown in the summary."""

    status: ItemStatus
    reason: str
    link: tuple[str, str] | None = None  # (label, URL or id)
    details: tuple[str, ...] = ()
    table: tuple[dict[str, str], ...] = ()
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"



@dataclass(frozen=True)
class GateOptions:
    """The gate's own options (beyond the shared --cycle/--sha/--backend ...)."""

    repo: Path | None = None
    prod_sha: str | None = None
    billing: bool | None = None
    migrations_dir: Path | None = None
    take_snapshot: bool = False

    @staticmethod
    def add_options(group: Any) -> None:
        """``group``: a pytest option group or an argparse parser (same names for both)."""
        add = group.addoption if hasattr(group, "addoption") else group.add_argument
        add("--repo", default=None, metavar="PATH",
            help="gate: a checkout of the application, to see which files the cycle changed")
        add("--prod-sha", default=None, metavar="SHA",
            help="gate: the SHA prod runs (default: read from prod's task definition)")
        add("--billing", dest="gate_billing", action="store_const", const="yes", default=None,
            help="gate: the cycle touched billing (skip the git check)")
        add("--no-billing", dest="gate_billing", action="store_const", const="no",
            help="gate: the cycle did not touch billing (the webhook item is not applicable)")
        add("--migrations", dest="gate_migrations", default=None, metavar="DIR",
            help="gate: the migrations directory (default: the topology's migrations.dir)")
        add("--take-snapshot", action="store_true", default=False,
            help="gate: take the pre-promotion prod snapshot (a prod write: needs "
                 "--allow-prod-write)")

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> GateOptions:
        opt = config.getoption
        billing = opt("gate_billing")
        repo, migrations = opt("--repo"), opt("gate_migrations")
        return cls(repo=Path(repo) if repo else None, prod_sha=opt("--prod-sha"),
                   billing=None if billing is None else billing == "yes",
                   migrations_dir=Path(migrations) if migrations else None,
                   take_snapshot=opt("--take-snapshot"))

    @staticmethod
    def pytest_args(ns: argparse.Namespace) -> list[str]:
        args: list[str] = []
        for flag, value in (("--repo", ns.repo), ("--migrations", ns.gate_migrations)):
            if value:
                args += [flag, str(Path(value).resolve())]
        if ns.prod_sha:
            args += ["--prod-sha", ns.prod_sha]
        if ns.gate_billing is not None:
            args.append("--billing" if ns.gate_billing == "yes" else "--no-billing")
        if ns.take_snapshot:
            args.append("--take-snapshot")
        return args


@dataclass(frozen=True)
class GateRun:
    """What this gate run evaluates, resolved once (defaults filled in, sources noted)."""

    cycle: str
    sha: str
    prod_sha: str | None
    options: GateOptions
    migrations_dir: Path | None
    # Files the cycle changed, when known without git (the sim knows its own cycle).
    changed_files: tuple[str, ...] | None = None
    notes: tuple[str, ...] = field(default=())
