"""`harness cleanup`: undo what drills left on a tier (e.g. after a killed run), from the undo
records the drills wrote into the tier before each change and the tags on what they created:
the DB-host secret pointed back, the service back on the revision it ran before (a new
deployment, verified healthy), the drills' revisions deregistered, a lock a drill left
removed, restored instances, snapshots and canary rows deleted. It then looks again at every
kind and says "nothing left" only when it found nothing; exit 0 only when the tier is verified
clean."""

from __future__ import annotations

import argparse
import re
from typing import Any

from rich.console import Console
from rich.text import Text

from harness import guard
from harness import topology as topology_mod
from harness.cli import preflight
from harness.cli.commands import help_for
from harness.cli.exits import EXIT_FAIL, EXIT_PASS
from harness.errors import ConfigError

DRILL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def register(sub: Any) -> None:
    p = sub.add_parser("cleanup", help=help_for("cleanup"), description=__doc__)
    p.add_argument("--topology", default=None, metavar="FILE",
                   help="topology TOML (default: the bundled runbook topology)")
    p.add_argument("--tier", default="staging", help="tier to clean (default: staging)")
    p.add_argument("--drill-id", default=None, metavar="ID",
                   help="only this drill's leftovers (default: every drill's)")
    p.set_defaults(handler=_cleanup, interruptible=True)


def _cleanup(args: argparse.Namespace, console: Console) -> int:
    # boto3 and the database driver load only when the command runs (`workflows check`
    # builds this parser too).
    from harness.backend.aws import AwsBackend
    from harness.undo.replay import replay
    from harness.world import World

    topology = topology_mod.load(args.topology)
    tier = topology.tier(args.tier)
    guard.check_drill_target(tier)
    if args.drill_id is not None and not DRILL_ID.match(args.drill_id):
        raise ConfigError(f"--drill-id {args.drill_id!r} is not a drill id",
                          fix="pass the run id a drill printed, e.g. 20261130T190250Z-drill-db9e")
    backend = AwsBackend(topology)
    try:
        world = World(backend)
        preflight.check_world(world, (tier.name,))
        which = f"drill {args.drill_id}" if args.drill_id else "every drill"
        console.print(Text.assemble(("CLEANUP", "bold"), " tier ", (tier.name, "bold"),
                                    f" (account {tier.account_id}): what {which} left"))
        summary = replay(world, tier.name, args.drill_id)
    finally:
        backend.close()
    for line in summary.lines():
        console.print(f"  {line}", markup=False, soft_wrap=True)
    return EXIT_PASS if summary.complete else EXIT_FAIL
