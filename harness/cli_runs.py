"""`harness drill`, `harness gate` and `harness report`: run the features through pytest,
print live progress and the summary table, re-render a run folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

from harness import guard
from harness.cli_report import add_screenshot_option, maybe_screenshot
from harness.errors import ConfigError, HarnessError
from harness.evidence import new_run_id, read_evidence, write_renderings
from harness.redact import Redactor
from harness.report.format import STATUS_LABEL, headline, measurement_line, one_line, seconds
from harness.runconfig import RunConfig, SimKnobs

DEFAULT_REPORTS = "reports"
_STYLE = {"passed": "green", "failed": "bold red", "skipped": "yellow", "not_applicable": "dim"}


def register(sub: Any) -> None:
    from harness.cli import add_shared_options

    for name, helptext, handler in (
        ("drill", "run the quarterly rollback drill (default: on staging, in the sim)", _drill),
        ("gate", "evaluate the promotion gate checklist for one cycle and SHA", _gate),
    ):
        p = sub.add_parser(name, help=helptext, description=helptext)
        add_shared_options(p)
        p.add_argument("--reports", default=DEFAULT_REPORTS, metavar="DIR",
                       help="where run folders are written (default: ./reports)")
        p.add_argument("-v", "--verbose", action="store_true",
                       help="show pytest's own output as well")
        p.add_argument("--list-faults", action="store_true",
                       help="list the sim faults --sim-fault accepts, and exit")
        add_screenshot_option(p)
        p.set_defaults(handler=handler)
    rep = sub.add_parser("report", help="re-render a run folder from its evidence.json")
    rep.add_argument("run_dir", metavar="RUN_DIR")
    add_screenshot_option(rep)
    rep.set_defaults(handler=_report)


def _drill(args: argparse.Namespace, console: Console) -> int:
    return run_features(args, console, kind="drill", marker="drill")


def _gate(args: argparse.Namespace, console: Console) -> int:
    return run_features(args, console, kind="gate", marker="gate")


def run_features(args: argparse.Namespace, console: Console, *, kind: str, marker: str) -> int:
    from harness.cli import load_topology, project_root

    if args.list_faults:
        return list_faults(console)

    topology = load_topology(args.topology)
    tier = topology.tier(args.tier)
    if kind == "drill":
        guard.check_drill_target(tier)
        if not tier.is_aws:
            raise ConfigError(
                f"tier '{tier.name}' is a {tier.kind} tier: the drill exercises ECS and RDS",
                fix="run the drill against an AWS tier that accepts drills (e.g. --tier staging)")
    if args.backend == "sim":
        knobs = SimKnobs(args.sim_rollout_latency, tuple(args.sim_fault))
        RunConfig(backend="sim", topology=topology, tier=args.tier, sim=knobs).sim_options()
    elif args.sim_fault:
        raise ConfigError("--sim-fault only applies to the sim backend",
                          fix="drop --sim-fault, or use --backend sim")
    root = project_root()
    run_id = new_run_id(kind)
    reports = Path(args.reports).resolve()
    pytest_args = [
        str(root / "steps"), "--rootdir", str(root), "-c", str(root / "pyproject.toml"),
        "-m", marker, "--reports", str(reports), "--run-id", run_id, "--run-kind", kind,
        *RunConfig.pytest_args(args),
    ]
    pytest_args += ["-q", "-rfE"] if args.verbose else ["-p", "no:terminal", "--harness-progress"]
    where = ("sim: moto + local sim app + embedded PostgreSQL, SIMULATED"
             if args.backend == "sim" else "aws: real accounts")
    console.print(f"[bold]{kind.upper()}[/] on tier [bold]{tier.name}[/] ({where}) · "
                  f"topology {topology.name} · run {run_id}")
    code = int(pytest.main(pytest_args))
    run_dir = reports / run_id
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise ConfigError(f"no {kind} scenarios were found under {root / 'features'}",
                          fix="check the feature tags (@" + marker + ")")
    if not (run_dir / "evidence.json").is_file():
        raise HarnessError(f"the {kind} did not complete (pytest exit code {code}); "
                           "no evidence was written",
                           fix="re-run with --verbose to see pytest's output")
    doc = read_evidence(run_dir)
    print_summary(doc, console)
    console.print(f"evidence: {_relative(run_dir)}/ "
                  "(report.html, summary.md, evidence.json, junit.xml)")
    if maybe_screenshot(args, run_dir, console):
        return 2
    if code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR,
                pytest.ExitCode.USAGE_ERROR):
        return 2
    return 0 if doc["verdict"] == "pass" else 1


def list_faults(console: Console) -> int:
    from harness.sim.world import KNOWN_FAULTS

    for name, what in sorted(KNOWN_FAULTS.items()):
        console.print(f"{name}: {what}")
    return 0


def print_summary(doc: dict[str, Any], console: Console) -> None:
    style = "bold green" if doc["verdict"] == "pass" else "bold red"
    console.print(f"[{style}]{headline(doc)}[/]")
    table = Table(show_edge=False, pad_edge=False)
    for col in ("status", "check", "duration", "result"):
        table.add_column(col)
    for c in doc["checks"]:
        result = one_line(c["error"]) if c["status"] == "failed" else one_line(c["detail"])
        table.add_row(f"[{_STYLE[c['status']]}]{STATUS_LABEL[c['status']]}[/]", c["name"],
                      seconds(c["duration_s"]), result)
    console.print(table)
    for m in doc["measurements"]:
        console.print(f"  {measurement_line(m)}")


def _report(args: argparse.Namespace, console: Console) -> int:
    run_dir = Path(args.run_dir)
    doc = read_evidence(run_dir)
    written = write_renderings(doc, run_dir, Redactor.from_env())
    print_summary(doc, console)
    console.print("re-rendered: " + ", ".join(p.name for p in written))
    if maybe_screenshot(args, run_dir, console):
        return 2
    return 0 if doc["verdict"] == "pass" else 1


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
