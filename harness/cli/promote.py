"""`harness promote`: the runbook's standard promote path as one command, with `--plan`.

Exit codes: 0 promoted and verified; 1 the promotion failed (rolled back when it got as
far as the swap) or the tier is locked; 2 usage, configuration or a guard refusal; 130/143
stopped by SIGINT/SIGTERM (the lock released, the evidence written as incomplete).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from harness import interrupts
from harness.backend.registry import open_backend
from harness.cli import preflight, publish, terminal
from harness.cli.common import add_run_options, check_text, run_config
from harness.errors import ConfigError


def register(sub: Any) -> None:
    helptext = ("promote a validated SHA: snapshot, image reuse/copy, new revision, swap, "
                "verify; automatic rollback on failure")
    p = sub.add_parser("promote", help=helptext, description=helptext)
    add_run_options(p)
    p.set_defaults(tier="prod")
    p.add_argument("--from-tier", default="staging", metavar="TIER",
                   help="the tier that validated the build (default: staging)")
    p.add_argument("--reason", required=True, help="cycle id + ticket reference (audit trail)")
    p.add_argument("--signed-off-by", default=None, metavar="NAME",
                   help="who signed off the cycle's smoke evidence (decision record)")
    p.add_argument("--plan", action="store_true",
                   help="print every AWS call the promote would make, change nothing")
    p.add_argument("--break-stale-lock", action="store_true",
                   help="take over the tier lock if it is past its expiry (a crashed run)")
    p.add_argument("--reports", default="reports", metavar="DIR",
                   help="where the run folder is written (default: ./reports)")
    publish.add_options(p)
    p.set_defaults(handler=_promote, interruptible=True)


def _promote(args: argparse.Namespace, console: Console) -> int:
    # The world (boto3, psycopg) loads only when the command runs (`workflows check` builds
    # this parser too).
    from harness.promote import promote
    from harness.world import World

    run = run_config(args, kind="promote", reports_dir=Path(args.reports).resolve())
    check_text("--reason", args.reason)
    if args.signed_off_by is not None:
        check_text("--signed-off-by", args.signed_off_by)
    publish.check_options(args)
    run.topology.tier(args.from_tier)
    preflight.check(run, preflight.needs(run, "promote", source_tier=args.from_tier,
                                         plan=args.plan))
    with open_backend(run) as backend:
        world = World(backend, allow_prod_write=run.allow_prod_write)
        if not args.sha or not args.cycle:
            hint = promote.validated_sha(world, args.from_tier)
            raise ConfigError("a promotion needs --sha and --cycle",
                              fix=f"tier {args.from_tier} runs {hint} now; pass it as --sha if "
                                  "that is the validated build")
        req = promote.PromoteRequest(
            sha=args.sha, cycle=args.cycle, reason=args.reason, signed_off_by=args.signed_off_by,
            tier=args.tier, source_tier=args.from_tier, break_stale_lock=args.break_stale_lock)
        plan = promote.make_plan(world, req)
        if args.plan:
            for line in plan.lines():
                console.print(line, soft_wrap=True)
            return 0
        if world.rehearsal is not None and "promote-broken-build" in run.sim.faults:
            world.rehearsal.break_build(req.tier, req.sha)
        world.guard_write(req.tier, action=f"promote {req.sha[:12]}")
        journal = run.new_journal()
        for note in backend.notes():
            journal.add_note(note)
        # stderr: stdout is the result alone, its first line the verdict.
        terminal.console(stderr=True).print(Text.assemble(("PROMOTE", "bold"), " ",
                                                          plan.lines()[0]), soft_wrap=True)
        interrupts.checkpoint()
        try:
            result = promote.promote(world, req, journal=journal, plan=plan)
        except KeyboardInterrupt:
            publish.write(journal, run, stopped=True)
            raise
        doc, run_dir = publish.write(journal, run)
    from harness.cli.runs import print_summary

    publish.publish(doc, run_dir, args, console, topology=run.topology, human=print_summary)
    return 0 if result.verdict == "pass" and doc["verdict"] == "pass" else 1
