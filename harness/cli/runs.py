"""`harness drill`, `harness gate` and `harness report`: run the features through pytest,
print live progress and the summary table, re-render a run folder."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness import guard
from harness.cli.commands import help_for
from harness.cli.common import add_run_options, run_config
from harness.cli.report import add_screenshot_option, maybe_screenshot
from harness.errors import ConfigError, HarnessError
from harness.evidence.journal import new_run_id
from harness.redact import Redactor
from harness.report.format import STATUS_LABEL, headline, measurement_line, one_line, seconds
from harness.report.gate import github_output, item_reason, item_ref, sequencing, verdict_json
from harness.report.markdown import render_markdown

DEFAULT_REPORTS = "reports"
_STYLE = {"passed": "green", "failed": "bold red", "skipped": "yellow", "not_applicable": "dim"}


def register(sub: Any) -> None:
    for name, handler in (("drill", _drill), ("gate", _gate)):
        p = sub.add_parser(name, help=help_for(name), description=help_for(name))
        add_run_options(p, gate=name == "gate")
        p.add_argument("--reports", default=DEFAULT_REPORTS, metavar="DIR",
                       help="where run folders are written (default: ./reports)")
        p.add_argument("-v", "--verbose", action="store_true",
                       help="show pytest's own output as well")
        p.add_argument("--list-faults", action="store_true",
                       help="list the sim faults --sim-fault accepts, and exit")
        add_screenshot_option(p)
        if name == "gate":
            p.add_argument("--json", action="store_true",
                           help="print only the machine-readable verdict (JSON) on stdout")
        p.set_defaults(handler=handler)
    rep = sub.add_parser("report", help=help_for("report"))
    rep.add_argument("run_dir", metavar="RUN_DIR")
    add_screenshot_option(rep)
    rep.set_defaults(handler=_report)


def _drill(args: argparse.Namespace, console: Console) -> int:
    return run_features(args, console, kind="drill", marker="drill")


def _gate(args: argparse.Namespace, console: Console) -> int:
    if args.take_snapshot and not args.allow_prod_write:
        raise ConfigError("--take-snapshot writes to production",
                          fix="add --allow-prod-write to take the pre-promotion snapshot")
    if args.backend == "aws" and not (args.cycle and args.sha):
        raise ConfigError("the gate on real accounts needs the cycle and the validated SHA",
                          fix="pass --cycle CYCLE --sha SHA (defaults exist only in the sim)")
    return run_features(args, console, kind="gate", marker="gate", as_json=args.json)


def run_features(args: argparse.Namespace, console: Console, *, kind: str, marker: str,
                 as_json: bool = False) -> int:
    from harness.backend.registry import prepare
    from harness.evidence.writer import read_evidence

    if args.list_faults:
        return list_faults(console)
    run_id = new_run_id(kind)
    reports = Path(args.reports).resolve()
    run = run_config(args, kind=kind, reports_dir=reports, run_id=run_id,
                     progress=not (args.verbose or as_json))
    tier = run.topology.tier(run.tier)
    if kind == "drill":
        guard.check_drill_target(tier)
        if not tier.is_aws:
            raise ConfigError(
                f"tier '{tier.name}' is a {tier.kind} tier: the drill exercises ECS and RDS",
                fix="run the drill against an AWS tier that accepts drills (e.g. --tier staging)")
    prepare(run)
    from harness.pytest import session  # pytest loads while the sim's PostgreSQL starts

    where = ("sim: moto + local sim app + embedded PostgreSQL, SIMULATED"
             if run.backend == "sim" else "aws: real accounts")
    if not as_json:
        console.print(f"[bold]{kind.upper()}[/] on tier [bold]{tier.name}[/] ({where}) · "
                      f"topology {run.topology.name} · run {run_id}")
    code = session.run(run, marker, verbose=args.verbose)
    run_dir = reports / run_id
    if code == session.NO_TESTS_COLLECTED:
        raise ConfigError(f"no {kind} scenarios were found under {session.features_dir()}",
                          fix="check the feature tags (@" + marker + ")")
    if not (run_dir / "evidence.json").is_file():
        raise HarnessError(f"the {kind} did not complete (pytest exit code {code}); "
                           "no evidence was written",
                           fix="re-run with --verbose to see pytest's output")
    doc = read_evidence(run_dir)
    if kind == "gate":
        publish_gate(doc, run_dir, console, as_json=as_json)
    else:
        print_summary(doc, console)
        console.print(f"evidence: {_relative(run_dir)}/ "
                      "(report.html, summary.md, evidence.json, junit.xml)")
    if maybe_screenshot(args, run_dir, console):
        return 2
    if code in session.ABORTED:
        return 2
    return 0 if doc["verdict"] == "pass" else 1


def list_faults(console: Console) -> int:
    from harness.backend.faults import KNOWN_FAULTS

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


def publish_gate(doc: dict[str, Any], run_dir: Path, console: Console, *,
                 as_json: bool = False) -> None:
    """The gate's verdict: on the console (or as JSON), and to GitHub Actions when it runs
    there (step summary appended, ``verdict=pass|fail`` output)."""
    if as_json:
        print(json.dumps(verdict_json(doc, str(run_dir)), indent=2))
    else:
        print_gate_summary(doc, console)
        console.print(f"evidence: {_relative(run_dir)}/ "
                      "(report.html, summary.md, evidence.json, junit.xml)")
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as out:
            out.write(render_markdown(doc) + "\n")
    output_file = os.environ.get("GITHUB_OUTPUT")
    if output_file:
        with open(output_file, "a", encoding="utf-8") as out:
            out.write(github_output(doc))


def print_gate_summary(doc: dict[str, Any], console: Console) -> None:
    """First line the verdict; then one row per checklist item: status, reason, link or id."""
    style = "bold green" if doc["verdict"] == "pass" else "bold red"
    console.print(f"[{style}]{headline(doc)}[/]")
    table = Table(show_edge=False, pad_edge=False)
    for col in ("status", "item", "reason", "link / id"):
        table.add_column(col, overflow="fold")
    for c in doc["checks"]:
        table.add_row(f"[{_STYLE[c['status']]}]{STATUS_LABEL[c['status']]}[/]", c["name"],
                      item_reason(c), item_ref(c))
    console.print(table)
    rows = sequencing(doc)
    if rows:
        console.print("pending prod migrations, in order:")
        for row in rows:
            console.print(f"  {row['version']} {row['classification']}: {row['advice']}")


def _report(args: argparse.Namespace, console: Console) -> int:
    # The evidence schema and the templates load only for the commands that use them
    # (`workflows check` builds this parser too).
    from harness.evidence.writer import read_evidence
    from harness.report.publish import write_renderings

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
