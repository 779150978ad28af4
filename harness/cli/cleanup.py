"""`harness cleanup`: remove what a drill left behind on a tier (e.g. after a killed run):
restored instances and snapshots tagged with a drill id, the drill's canary rows, and the
tier lock if a drill killed during its revert still holds it; the application is first
pointed back at the tier's own database if it was left on a copy."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from harness import guard
from harness import topology as topology_mod
from harness.cli.commands import help_for


def register(sub: Any) -> None:
    p = sub.add_parser("cleanup", help=help_for("cleanup"), description=__doc__)
    p.add_argument("--topology", default=None, metavar="FILE",
                   help="topology TOML (default: the bundled runbook topology)")
    p.add_argument("--tier", default="staging", help="tier to clean (default: staging)")
    p.add_argument("--drill-id", default=None, metavar="ID",
                   help="only this drill's leftovers (default: every drill's)")
    p.set_defaults(handler=_cleanup)


def _cleanup(args: argparse.Namespace, console: Console) -> int:
    # boto3 and the database driver load only when the command runs (`workflows check`
    # builds this parser too).
    from harness.backend.aws import AwsBackend
    from harness.drill.data_restore import reap
    from harness.promote.lock import remove_drill_lock
    from harness.world import World

    topology = topology_mod.load(args.topology)
    tier = topology.tier(args.tier)
    guard.check_drill_target(tier)
    world = World(AwsBackend(topology))
    which = f"drill {args.drill_id}" if args.drill_id else "every drill"
    console.print(f"[bold]CLEANUP[/] tier [bold]{tier.name}[/] (account {tier.account_id}): "
                  f"resources tagged by {which}")
    reaped = reap(world, tier.name, args.drill_id)
    for line in reaped.lines():
        console.print(f"  {line}")
    lock = remove_drill_lock(world, tier.name, args.drill_id)
    if lock is not None:
        console.print(f"  removed the tier lock a drill left behind: {lock.describe()}")
    return 0 if reaped.complete else 1
