"""`harness drill`, `harness gate` and `harness report`: run the features through pytest,
print live progress and the summary table, re-render a run folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness import guard
from harness.cli import publish, terminal
from harness.cli.common import add_run_options, run_config
from harness.cli.report import add_screenshot_option, maybe_screenshot
from harness.errors import ConfigError, HarnessError
from harness.evidence.journal import new_run_id
from harness.evidence.writer import read_evidence
from harness.redact import Redactor
from harness.report.format import (
    STATUS_LABEL,
    first_line,
    headline,
    measurement_line,
    result_text,
    seconds,
)
from harness.report.gate import item_reason, item_ref, sequencing, verdict_json
from harness.report.outcome import outcome
from harness.report.publish import write_renderings

DEFAULT_REPORTS = "reports"
_STYLE = {"passed": "green", "failed": "bold red", "skipped": "yellow", "not_applicable": "dim"}


def register(sub: Any) -> None:
    for name, helptext, handler in (
        ("drill", "run the quarterly rollback drill (default: on staging, in the sim)", _drill),
        ("gate", "evaluate the promotion gate checklist for one cycle and SHA", _gate),
    ):
        p = sub.add_parser(name, help=helptext, description=helptext)
        add_run_options(p, gate=name == "gate")
        p.add_argument("--reports", default=DEFAULT_REPORTS, metavar="DIR",
                       help="where run folders are written (default: ./reports)")
        p.add_argument("-v", "--verbose", action="store_true",
                       help="show pytest's own output as well")
        p.add_argument("--list-faults", action="store_true",
                       help="list the sim faults --sim-fault accepts, and exit")
        add_screenshot_option(p)
        publish.add_options(p)
        p.set_defaults(handler=handler)
    rep = sub.add_parser("report", help="re-render a run folder from its evidence.json")
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
    return run_features(args, console, kind="gate", marker="gate")


def run_features(args: argparse.Namespace, console: Console, *, kind: str, marker: str) -> int:
    from harness.pytest import session

    if args.list_faults:
        return list_faults(console)
    run_id = new_run_id(kind)
    reports = Path(args.reports).resolve()
    run = run_config(args, kind=kind, reports_dir=reports, run_id=run_id,
                     progress=not args.verbose)
    publish.check_options(args)
    tier = run.topology.tier(run.tier)
    if kind == "drill":
        guard.check_drill_target(tier)
        if not tier.is_aws:
            raise ConfigError(
                f"tier '{tier.name}' is a {tier.kind} tier: the drill exercises ECS and RDS",
                fix="run the drill against an AWS tier that accepts drills (e.g. --tier staging)")
    where = ("sim: moto + local sim app + embedded PostgreSQL, SIMULATED"
             if run.backend == "sim" else "aws: real accounts")
    # stderr, like the progress lines: stdout is the result alone, its first line the verdict.
    terminal.console(stderr=True).print(Text.assemble(
        (kind.upper(), "bold"), " on tier ", (tier.name, "bold"),
        f" ({where}) · topology {run.topology.name} · run {run_id}"), soft_wrap=True)
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
        publish.publish(doc, run_dir, args, console, topology=run.topology,
                        human=print_gate_summary, machine=verdict_json)
    else:
        publish.publish(doc, run_dir, args, console, topology=run.topology, human=print_summary)
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


def check_row_result(check: dict[str, Any]) -> str:
    """A check's result in a terminal row: a failure's whole reason; otherwise the first line
    whole, saying how many more the report holds (never cut mid-phrase)."""
    text = result_text(check)
    if check["status"] == "failed":
        return text
    line, more = first_line(text)
    return line + (f" (+{more} line{'s' if more > 1 else ''} in report.html)" if more else "")


def print_summary(doc: dict[str, Any], console: Console) -> None:
    """First line the verdict, then what the run came to in one sentence, then one row per
    check and the measurements."""
    style = "bold green" if doc["verdict"] == "pass" else "bold red"
    console.print(Text(headline(doc), style=style), soft_wrap=True)
    console.print(Text(outcome(doc)), soft_wrap=True)
    table = Table(show_edge=False, pad_edge=False)
    for col in ("status", "check", "duration", "result"):
        table.add_column(col, overflow="fold")
    for c in doc["checks"]:
        table.add_row(Text(STATUS_LABEL[c["status"]], style=_STYLE[c["status"]]), Text(c["name"]),
                      seconds(c["duration_s"]), Text(check_row_result(c)))
    console.print(table)
    for m in doc["measurements"]:
        console.print(Text(f"  {measurement_line(m)}"), soft_wrap=True)


def print_gate_summary(doc: dict[str, Any], console: Console) -> None:
    """First line the verdict; then one row per checklist item: status, reason, link or id."""
    style = "bold green" if doc["verdict"] == "pass" else "bold red"
    console.print(Text(headline(doc), style=style), soft_wrap=True)
    console.print(Text(outcome(doc)), soft_wrap=True)
    table = Table(show_edge=False, pad_edge=False)
    for col in ("status", "item", "reason", "link / id"):
        table.add_column(col, overflow="fold")
    for c in doc["checks"]:
        table.add_row(Text(STATUS_LABEL[c["status"]], style=_STYLE[c["status"]]),
                      Text(c["name"]), Text(item_reason(c)), Text(item_ref(c)))
    console.print(table)
    rows = sequencing(doc)
    if rows:
        console.print("pending prod migrations, in order:")
        for row in rows:
            console.print(Text(f"  {row['version']} {row['classification']}: {row['advice']}"),
                          soft_wrap=True)


def _report(args: argparse.Namespace, console: Console) -> int:
    run_dir = Path(args.run_dir)
    doc = read_evidence(run_dir)
    written = write_renderings(doc, run_dir, Redactor.from_env())
    print_summary(doc, console)
    console.print("re-rendered: " + ", ".join(p.name for p in written))
    if maybe_screenshot(args, run_dir, console):
        return 2
    return 0 if doc["verdict"] == "pass" else 1

