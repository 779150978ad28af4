"""What every run command (drill, gate, promote, rollback, rollback data) does with its
result once the evidence is written: the summary on stdout, its first line the verdict (or
only the JSON with ``--json``); in GitHub Actions the step outputs, the step summary (once)
and an ``::error`` annotation per failed check; and the notification (``--notify URL``, else
the topology's ``[notify] url_env``), whose failure is printed and never changes the verdict
or the exit code."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from harness import interrupts, notify
from harness.cli import github, terminal
from harness.errors import HarnessError
from harness.evidence.journal import Journal, Stopped
from harness.redact import Redactor
from harness.report.machine import REPORT_FILE, error_annotations, outputs, run_json
from harness.report.markdown import render_markdown
from harness.rollback.phases import PhaseLog
from harness.runconfig import RunConfig
from harness.topology import Topology

Doc = dict[str, Any]
Human = Callable[[Doc, Console], None]


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print only the machine-readable result (JSON) on stdout")
    parser.add_argument("--notify", default=None, metavar="URL",
                        help="post the verdict and headline figures to this webhook (JSON; a "
                             "Slack message for hooks.slack.com); default: the URL in the "
                             "variable the topology's [notify] url_env names. A failed post is "
                             "reported and never changes the verdict or the exit code")


def check_options(args: argparse.Namespace) -> None:
    """Before any work: a --notify that is not an http(s) URL is a usage error (exit 2)."""
    if args.notify is not None:
        notify.check_url(args.notify)


@contextmanager
def phased(journal: Journal, run: RunConfig, log: PhaseLog) -> Iterator[None]:
    """Run a phased operation (rollback, rollback data) into ``journal``: an error before any
    phase is a refusal (raised: no run); after one it is a failed check, never a pass on the
    phases that finished; an interrupt writes the stopped run's evidence and goes on."""
    interrupts.checkpoint()
    try:
        yield
    except HarnessError as exc:
        if not log.phases:
            raise  # refused before anything was done: a usage or guard error, no run
        log.unfinished(exc)
    except KeyboardInterrupt:
        write(journal, run, stopped=True)
        raise


def write(journal: Journal, run: RunConfig, *, stopped: bool = False) -> tuple[Doc, Path]:
    """Finish ``journal`` and write the run folder (evidence redacted and validated, every
    rendering); the evidence as written and the folder. A stopped run says where it
    stopped, whether its undo ran, and what it left (``harness.interrupts``)."""
    # The schema validator (jsonschema) and the templates (jinja2) load only when a run
    # writes its folder: every run command's parser takes this module's options.
    from harness.evidence.writer import read_evidence
    from harness.report.publish import write_run

    stop = None
    if stopped:
        signum = interrupts.received() or signal.SIGINT
        stop = Stopped(interrupts.signal_name(signum), journal.where(),
                       "skipped" if interrupts.abandoned() else "ran", tuple(interrupts.left()))
    for label in interrupts.undone():
        journal.add_note(f"undone after the stop: {label}")
    journal.finish(stop)
    assert run.reports_dir is not None, "a run that writes evidence has a reports folder"
    run_dir = write_run(journal.to_json(), run.reports_dir,
                        Redactor.from_env(run.topology.secret_env_names))
    return read_evidence(run_dir), run_dir


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def publish(doc: Doc, run_dir: Path, args: argparse.Namespace, console: Console, *,
            topology: Topology | None, human: Human,
            machine: Callable[[Doc, str], dict[str, Any]] = run_json) -> None:
    """The result on stdout (``human`` prints the summary, ``machine`` gives the JSON), to
    GitHub Actions when it runs there, then the notification."""
    shown = relative(run_dir)
    if args.json:
        print(json.dumps(machine(doc, shown), indent=2))
    else:
        human(doc, console)
        console.print(Text(f"evidence: {shown}/ ({REPORT_FILE}, summary.md, evidence.json, "
                           "junit.xml)"), soft_wrap=True)
    to_actions(doc, shown)
    sent = notify.notify_run(doc, url=args.notify, topology=topology,
                             report=f"{shown}/{REPORT_FILE}")
    if sent is not None:
        # stderr: stdout stays the result alone (the JSON with --json).
        err = terminal.console(stderr=True)
        err.print(Text(sent.message, style="green" if sent.delivered else "bold yellow"),
                  soft_wrap=True)


def to_actions(doc: Doc, shown: str, environ: dict[str, str] | None = None) -> None:
    """In GitHub Actions: the step outputs (``harness.report.machine.outputs``), the run's
    Markdown summary appended to the step summary (the only writer of it: a workflow needs
    no `cat summary.md` step), and the ``::error`` annotations. Each file is written only
    when its variable is set, so a run outside Actions writes nothing."""
    env = dict(os.environ) if environ is None else environ
    github.write_outputs(outputs(doc, shown), env)
    github.append_summary(render_markdown(doc), env)
    if env.get("GITHUB_ACTIONS") == "true":
        # stderr: stdout stays the result alone (the JSON with --json); the runner reads
        # workflow commands from both streams.
        for line in error_annotations(doc):
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
