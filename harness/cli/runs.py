"""`harness drill`, `harness gate` and `harness report`: run the features through pytest,
print live progress and the summary table, re-render a run folder."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness import guard, interrupts
from harness.cli import preflight, publish, terminal
from harness.cli.common import add_run_options, run_config
from harness.cli.exits import EXIT_FAIL, EXIT_PASS, EXIT_USAGE
from harness.cli.report import add_screenshot_option, maybe_screenshot
from harness.errors import ConfigError, HarnessError
from harness.evidence.journal import new_run_id
from harness.evidence.verdict import document_verdict
from harness.redact import Redactor
from harness.report.format import (
    STATUS_LABEL,
    first_line,
    headline,
    measurement_line,
    result_text,
    seconds,
    stop_lines,
)
from harness.report.gate import item_reason, item_ref, sequencing, verdict_json
from harness.report.outcome import outcome
from harness.runconfig import RunConfig

DEFAULT_REPORTS = "reports"
_STYLE = {"passed": "green", "failed": "bold red", "error": "bold yellow", "skipped": "yellow",
          "not_applicable": "dim", "interrupted": "bold yellow", "not_run": "yellow"}
_VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "incomplete": "bold yellow"}


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
        p.set_defaults(handler=handler, interruptible=True)
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
    from harness.backend.registry import prepare
    from harness.evidence.writer import read_evidence

    if args.list_faults:
        return list_faults(console, kind)
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
    preflight.check(run, preflight.needs(run, kind))
    err = terminal.console(stderr=True)
    if run.backend == "sim":
        sweep_leftovers(err)
    prepare(run)
    from harness.pytest import session  # pytest loads while the sim's PostgreSQL starts

    where = ("sim: moto + local sim app + embedded PostgreSQL, SIMULATED"
             if run.backend == "sim" else "aws: real accounts")
    # stderr, like the progress lines: stdout is the result alone, its first line the verdict.
    err.print(Text.assemble(
        (kind.upper(), "bold"), " on tier ", (tier.name, "bold"),
        f" ({where}) · topology {run.topology.name} · run {run_id}"), soft_wrap=True)
    warn_short_secrets(run, err)
    interrupts.checkpoint()
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
        return EXIT_USAGE
    return exit_code(doc, code)


def exit_code(doc: dict[str, Any], pytest_code: int = 0) -> int:
    """The contract: 130/143 when stopped by a signal, 2 when pytest refused its arguments,
    0 for a pass, 1 for anything else (a failed check, or one that could not run)."""
    stopped = doc.get("stopped")
    if stopped:
        signum = getattr(signal, str(stopped["signal"]), signal.SIGINT)
        return interrupts.exit_code(int(signum))
    if pytest_code != 0:
        # Only a run has a pytest exit code: `harness report` never loads pytest.
        from harness.pytest import session

        if pytest_code == session.USAGE_ERROR:
            return EXIT_USAGE
    return EXIT_PASS if doc["verdict"] == "pass" else EXIT_FAIL


def sweep_leftovers(console: Console) -> None:
    """Remove (and say so) an embedded PostgreSQL that a killed run left behind."""
    from harness.io.db import embedded

    for line in embedded.sweep():
        console.print(line, soft_wrap=True)


def warn_short_secrets(run: RunConfig, console: Console) -> None:
    short = Redactor.from_env(run.topology.secret_env_names).too_short
    if short:
        console.print(Text.assemble(("warning:", "bold yellow"), f" {', '.join(short)} hold(s) a "
                                    "value too short to be masked in the output (fewer than 8 "
                                    "characters): use a longer secret"), soft_wrap=True)


def list_faults(console: Console, kind: str) -> int:
    from harness.backend.faults import KNOWN_FAULTS, faults_for

    for name in faults_for(kind):
        console.print(f"{name}: {KNOWN_FAULTS[name]}")
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
    """First line the verdict (for a stopped run, where it stopped and what it left), then
    what the run came to in one sentence, then one row per check and the measurements."""
    print_headline(doc, console)
    table = Table(show_edge=False, pad_edge=False)
    for col in ("status", "check", "duration", "result"):
        table.add_column(col, overflow="fold")
    for c in doc["checks"]:
        table.add_row(_status(c), Text(c["name"]), seconds(c["duration_s"]),
                      Text(check_row_result(c)))
    console.print(table)
    for m in doc["measurements"]:
        console.print(Text(f"  {measurement_line(m)}"), soft_wrap=True)


def print_headline(doc: dict[str, Any], console: Console) -> None:
    """The verdict line, for a stopped run where it stopped and what it left, and the
    outcome sentence."""
    console.print(Text(headline(doc), style=_VERDICT_STYLE.get(doc["verdict"], "bold red")),
                  soft_wrap=True)
    for line in stop_lines(doc):
        console.print(Text(line, style="yellow"), soft_wrap=True)
    console.print(Text(outcome(doc)), soft_wrap=True)


def _status(check: dict[str, Any]) -> Text:
    return Text(STATUS_LABEL[check["status"]], style=_STYLE[check["status"]])


def print_gate_summary(doc: dict[str, Any], console: Console) -> None:
    """First line the verdict; then one row per checklist item: status, reason, link or id."""
    print_headline(doc, console)
    table = Table(show_edge=False, pad_edge=False)
    for col in ("status", "item", "reason", "link / id"):
        table.add_column(col, overflow="fold")
    for c in doc["checks"]:
        table.add_row(_status(c), Text(c["name"]), Text(item_reason(c)), Text(item_ref(c)))
    console.print(table)
    rows = sequencing(doc)
    if rows:
        console.print("pending prod migrations, in order:")
        for row in rows:
            console.print(Text(f"  {row['version']} {row['classification']}: {row['advice']}"),
                          soft_wrap=True)


def _report(args: argparse.Namespace, console: Console) -> int:
    """Re-render a run folder. The verdict shown and returned is the one its checks give,
    whatever the file's ``verdict`` says (an edited verdict is reported, never trusted)."""
    # The schema validator (jsonschema) and the templates (jinja2) load only when a command
    # of this module runs (`workflows check` builds its parser too).
    from harness.evidence.writer import read_evidence
    from harness.report.publish import write_renderings

    run_dir = Path(args.run_dir)
    doc = read_evidence(run_dir)
    recomputed = document_verdict(doc)
    if recomputed != doc["verdict"]:
        console.print(Text.assemble(
            ("warning:", "bold yellow"), f" evidence.json says verdict '{doc['verdict']}' but "
            f"its checks give '{recomputed}': the file was edited or damaged; showing "
            f"'{recomputed}'"), soft_wrap=True)
        doc = {**doc, "verdict": recomputed}
    written = write_renderings(doc, run_dir, Redactor.from_env())
    print_summary(doc, console)
    console.print("re-rendered: " + ", ".join(p.name for p in written))
    if maybe_screenshot(args, run_dir, console):
        return EXIT_USAGE
    return exit_code(doc)

