"""`harness rollback`: the Layer-1 revert as an operation (with a --plan that changes nothing)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.text import Text

from harness import interrupts
from harness.cli import preflight
from harness.cli.commands import help_for
from harness.cli.common import add_run_options, check_text, run_config
from harness.cli.exits import EXIT_FAIL, EXIT_PASS
from harness.cli.options import whole_number
from harness.report.format import seconds

_ROLLBACK_HELP = """\
Point a tier's ECS service back at an earlier task-definition revision (default: the
immediately previous ACTIVE one), then poll deep health and the version endpoint until the
application is healthy on that revision's image, and report the measured recovery time
against the application RTO. Writes pass the tier guard: the caller must be in the tier's
account, and production also needs --allow-prod-write.

With --backend sim (the default) the command starts its own simulated world, so nothing
it does is kept for the next harness command: use it to rehearse, not to change anything.
"""


def register(sub: Any) -> None:
    p = sub.add_parser("rollback", help=help_for("rollback"),
                       description=_ROLLBACK_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(p)
    p.add_argument("--to-revision", type=whole_number(1, "a revision number"), default=None,
                   metavar="N",
                   help="revision number of the task family (default: the immediately previous)")
    p.add_argument("--reason", required=True, help="incident id and what broke (for the record)")
    p.add_argument("--plan", action="store_true",
                   help="print every AWS call the revert would make and change nothing")
    p.add_argument("--break-stale-lock", action="store_true",
                   help="take over the tier lock if it is past its expiry (a crashed run)")
    p.set_defaults(handler=_rollback, interruptible=True)


def _rollback(args: argparse.Namespace, console: Console) -> int:
    # The world's machinery (boto3, the database driver) loads only when the command runs:
    # `workflows check` builds this parser too.
    from harness.backend.registry import open_backend
    from harness.rollback import layer1 as rollback
    from harness.world import World

    run = run_config(args, kind="rollback")
    check_text("--reason", args.reason)
    preflight.check(run, preflight.needs(run, "rollback", plan=args.plan))
    label = ("sim: SIMULATED, state is not kept after this command" if args.backend == "sim"
             else "aws: real accounts")
    console.print(Text.assemble(("ROLLBACK", "bold"), " tier ", (args.tier, "bold"),
                                f" ({label})"))
    with open_backend(run) as backend:
        world = World(backend, allow_prod_write=run.allow_prod_write)
        if args.plan:
            plan = rollback.plan(world, args.tier, to_revision=args.to_revision, reason=args.reason)
            for line in plan.lines():
                console.print(line, soft_wrap=True)
            console.print(Text("plan only: nothing was changed", style="bold"))
            return EXIT_PASS
        interrupts.checkpoint()
        result = rollback.revert(world, args.tier, to_revision=args.to_revision, reason=args.reason,
                                 break_stale_lock=args.break_stale_lock)
    m = result.measurement
    style = "bold green" if m.met else "bold red"
    console.print(result.summary(), style=style, soft_wrap=True)
    for phase in m.phases:
        console.print(f"  {phase.name}: +{seconds(phase.offset_s)}")
    console.print(f"  resolution {seconds(m.resolution_seconds)} (poll interval); {m.note}",
                  soft_wrap=True)
    return EXIT_PASS if m.met else EXIT_FAIL
