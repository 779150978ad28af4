"""`harness rollback`: the Layer-1 revert as an evidence run (run folder, report, decision
record), with a --plan that only reads; `harness rollback data` (Layer 2) is
``harness.cli.rollback_data``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from harness.backend.registry import open_backend
from harness.cli import preflight, publish, record, rollback_data
from harness.cli.common import add_run_options, run_config
from harness.cli.exits import EXIT_FAIL, EXIT_PASS
from harness.cli.options import whole_number
from harness.evidence.journal import Decision, RollbackRecord
from harness.rollback.phases import LAYER1_FEATURE, PhaseLog
from harness.rto import APPLICATION_RTO

_ROLLBACK_HELP = """\
Point a tier's ECS service back at an earlier task-definition revision (default: the
immediately previous ACTIVE one), then poll deep health and the version endpoint until the
application is healthy on that revision's image, and report the measured recovery time
against the application RTO. The run writes its evidence like a drill: a run folder with
report.html, summary.md, evidence.json (with the decision record: who, why, from and to
revision, measured RTO) and junit.xml. Writes pass the tier guard: the caller must be in the
tier's account, and production also needs --allow-prod-write (--plan only reads and needs
neither the flag nor a lock).

With --backend sim (the default) the command starts its own simulated world, so nothing
it does is kept for the next harness command: use it to rehearse, not to change anything.

Layer 2 (the data): `harness rollback data --help`.
"""


def register(sub: Any) -> None:
    p = sub.add_parser("rollback", help="Layer-1 revert of a tier to an earlier revision "
                                        "(`rollback data`: Layer 2, the data)",
                       description=_ROLLBACK_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(p)
    p.add_argument("--to-revision", type=whole_number(1, "a revision number"), default=None,
                   metavar="N",
                   help="revision number of the task family (default: the immediately previous)")
    record.add_options(p)
    p.add_argument("--plan", action="store_true",
                   help="print every AWS call the revert would make and change nothing")
    p.add_argument("--break-stale-lock", action="store_true",
                   help="take over the tier lock if it is past its expiry (a crashed run)")
    p.set_defaults(handler=_rollback, interruptible=True)
    rollback_data.register(p)


def _rollback(args: argparse.Namespace, console: Console) -> int:
    # The world (boto3, psycopg) loads only when the command runs (`workflows check` builds
    # this parser too).
    from harness.cli import terminal
    from harness.cli.runs import print_summary
    from harness.rollback import layer1
    from harness.world import World

    run = run_config(args, kind="rollback", reports_dir=Path(args.reports).resolve())
    record.check_options(args)
    preflight.check(run, preflight.needs(run, "rollback", plan=args.plan))
    terminal.console(stderr=True).print(record.banner(args, "ROLLBACK"), soft_wrap=True)
    with open_backend(run) as backend:
        world = World(backend, allow_prod_write=run.allow_prod_write)
        plan = layer1.plan(world, args.tier, to_revision=args.to_revision, reason=args.reason)
        if args.plan:
            for line in plan.lines():
                console.print(Text(line), soft_wrap=True)
            console.print(Text("plan only: nothing was changed", style="bold"))
            return EXIT_PASS
        journal = run.new_journal()
        for note in backend.notes():
            journal.add_note(note)
        log = PhaseLog(LAYER1_FEATURE, journal)
        recovery = None
        with publish.phased(journal, run, log):
            recovery = layer1.revert(world, args.tier, to_revision=plan.target.number,
                                     reason=args.reason, break_stale_lock=args.break_stale_lock,
                                     phases=log)
        m = recovery.measurement if recovery is not None else None
        journal.decision = Decision(
            cycle=run.cycle, sha=plan.target.sha, snapshot_id=None, signed_off_by=None,
            verdict="pass" if journal.verdict == "pass" else "fail",
            rollback=RollbackRecord(
                "application", record.ordered_by(args), args.reason, plan.current.label,
                plan.target.label, rto_name=APPLICATION_RTO,
                rto_seconds=m.seconds if m is not None and m.completed else None))
        doc, run_dir = publish.write(journal, run)
    publish.publish(doc, run_dir, args, console, topology=run.topology, human=print_summary)
    return EXIT_PASS if doc["verdict"] == "pass" else EXIT_FAIL
