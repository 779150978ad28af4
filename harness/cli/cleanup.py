"""`harness cleanup`: remove what a drill left behind on a tier (e.g. after a killed run):
restored instances and snapshots tagged with a drill id, the drill's canary rows, and the
tier lock if a drill killed during its revert still holds it; the application is first
pointed back at the tier's own database if it was left on a copy."""

from __future__ import annotations

import argparse
import re
from typing import Any

from rich.console import Console
from rich.text import Text

from harness import guard
from harness import topology as topology_mod
from harness.backend.aws import AwsBackend
from harness.cli import preflight
from harness.drill.data_restore import reap
from harness.errors import ConfigError
from harness.promote.lock import remove_drill_lock
from harness.world import World

DRILL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def register(sub: Any) -> None:
    p = sub.add_parser("cleanup", help="remove what a drill left behind on a tier (real "
                       "accounts: in the sim nothing outlives the run, the embedded PostgreSQL "
                       "included)", description=__doc__)
    p.add_argument("--topology", default=None, metavar="FILE",
                   help="topology TOML (default: the bundled runbook topology)")
    p.add_argument("--tier", default="staging", help="tier to clean (default: staging)")
    p.add_argument("--drill-id", default=None, metavar="ID",
                   help="only this drill's leftovers (default: every drill's)")
    p.set_defaults(handler=_cleanup, interruptible=True)


def _cleanup(args: argparse.Namespace, console: Console) -> int:
    topology = topology_mod.load(args.topology)
    tier = topology.tier(args.tier)
    guard.check_drill_target(tier)
    if args.drill_id is not None and not DRILL_ID.match(args.drill_id):
        raise ConfigError(f"--drill-id {args.drill_id!r} is not a drill id",
                          fix="pass the run id a drill printed, e.g. 20261130T190250Z-drill-db9e")
    world = World(AwsBackend(topology))
    preflight.check_world(world, (tier.name,))
    which = f"drill {args.drill_id}" if args.drill_id else "every drill"
    console.print(Text.assemble(("CLEANUP", "bold"), " tier ", (tier.name, "bold"),
                                f" (account {tier.account_id}): resources tagged by {which}"))
    reaped = reap(world, tier.name, args.drill_id)
    for line in reaped.lines():
        console.print(f"  {line}", soft_wrap=True)
    lock = remove_drill_lock(world, tier.name, args.drill_id)
    if lock is not None:
        console.print(f"  removed the tier lock a drill left behind: {lock.describe()}")
    return 0 if reaped.complete else 1
