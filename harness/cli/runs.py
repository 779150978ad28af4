"""`harness drill`, `harness gate` and `harness report`: run the features through pytest,
print live progress and the summary table, re-render a run folder."""

from __future__ import annotations

import argparse
import json
import signal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness import guard, interrupts
from harness.cli import github, preflight
from harness.cli.commands import help_for
from harness.cli.common import add_run_options, run_config
from harness.cli.exits import EXIT_FAIL, EXIT_PASS, EXIT_USAGE
from harness.cli.report import add_screenshot_option, maybe_screenshot
from harness.errors import ConfigError, HarnessError
from harness.evidence.journal import new_run_id
from harness.evidence.verdict import document_verdict
from harness.redact import Redactor
from harness.report.format import (
    STATUS_LABEL,
    headline,
    measurement_line,
    one_line,
    result_text,
    seconds,
    stop_lines,
)
from harness.report.gate import github_outputs, item_reason, item_ref, sequencing, verdict_json
from harness.report.markdown import render_markdown
from harness.runconfig import RunConfig

DEFAULT_REPORTS = "reports"
_STYLE = {"passed": "green", "failed": "bold red", "error": "bold yellow", "skipped": "yellow",
          "not_applicable": "dim", "interrupted": "bold yellow", "not_run": "yellow"}
_VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "incomplete": "bold yellow"}


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
        p.set_defaults(handler=handler, interruptible=True)
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
        return list_faults(console, kind)
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
    preflight.check(run, preflight.needs(run, kind))
    out = Console(stderr=True, markup=False, emoji=False, highlight=False) if as_json else console
    if run.backend == "sim":
        sweep_leftovers(out)
    prepare(run)
    from harness.pytest import session  # pytest loads while the sim's PostgreSQL starts

    where = ("sim: moto + local sim app + embedded PostgreSQL, SIMULATED"
             if run.backend == "sim" else "aws: real accounts")
    if not as_json:
        console.print(Text.assemble((kind.upper(), "bold"), " on tier ", (tier.name, "bold"),
                                    f" ({where}) · topology {run.topology.name} · run {run_id}"))
    warn_short_secrets(run, out)
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
        publish_gate(doc, run_dir, console, as_json=as_json)
    else:
        print_summary(doc, console)
        console.print(f"evidence: {_relative(run_dir)}/ "
                      "(report.html, summary.md, evidence.json, junit.xml)")
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


def print_summary(doc: dict[str, Any], console: Console) -> None:
    print_headline(doc, console)
    table = Table(show_edge=False, pad_edge=False)
    for col in ("status", "check", "duration", "result"):
        table.add_column(col)
    for c in doc["checks"]:
        table.add_row(_status(c), Text(c["name"]), seconds(c["duration_s"]),
                      Text(one_line(result_text(c))))
    console.print(table)
    for m in doc["measurements"]:
        console.print(f"  {measurement_line(m)}")


def print_headline(doc: dict[str, Any], console: Console) -> None:
    """The verdict line, and for a stopped run where it stopped and what it left."""
    console.print(Text(headline(doc), style=_VERDICT_STYLE.get(doc["verdict"], "bold red")))
    for line in stop_lines(doc):
        console.print(Text(line, style="yellow"), soft_wrap=True)


def _status(check: dict[str, Any]) -> Text:
    return Text(STATUS_LABEL[check["status"]], style=_STYLE[check["status"]])


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
    github.append_summary(render_markdown(doc))
    github.write_outputs(github_outputs(doc))


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
            console.print(f"  {row['version']} {row['classification']}: {row['advice']}",
                          soft_wrap=True)


def _report(args: argparse.Namespace, console: Console) -> int:
    """Re-render a run folder. The verdict shown and returned is the one its checks give,
    whatever the file's ``verdict`` says (an edited verdict is reported, never trusted)."""
    # The evidence schema and the templates load only for the commands that use them
    # (`workflows check` builds this parser too).
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


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
