"""`harness promote`: the runbook's standard promote path as one command, with `--plan`.

Exit codes: 0 promoted and verified; 1 the promotion failed (rolled back when it got as
far as the swap) or the tier is locked; 2 usage, configuration or a guard refusal.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from harness.cli.commands import help_for
from harness.cli.common import add_run_options, run_config
from harness.errors import ConfigError


def register(sub: Any) -> None:
    p = sub.add_parser("promote", help=help_for("promote"), description=help_for("promote"))
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
    p.set_defaults(handler=_promote)


def _promote(args: argparse.Namespace, console: Console) -> int:
    # The world's machinery (boto3, the database driver, the report's templates) loads only
    # when the command runs: `workflows check` builds this parser too.
    from harness.backend.registry import open_backend
    from harness.evidence.writer import read_evidence
    from harness.promote import promote
    from harness.redact import Redactor
    from harness.report.publish import write_run
    from harness.world import World

    run = run_config(args, kind="promote", reports_dir=Path(args.reports).resolve())
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
                console.print(escape(line), soft_wrap=True)
            return 0
        if world.rehearsal is not None and "promote-broken-build" in run.sim.faults:
            world.rehearsal.break_build(req.tier, req.sha)
        world.guard_write(req.tier, action=f"promote {req.sha[:12]}")
        journal = run.new_journal()
        for note in backend.notes():
            journal.add_note(note)
        console.print(f"[bold]PROMOTE[/] {escape(plan.lines()[0])}", soft_wrap=True)
        result = promote.promote(world, req, journal=journal, plan=plan)
        journal.finish()
        assert run.reports_dir is not None
        run_dir = write_run(journal.to_json(), run.reports_dir,
                            Redactor.from_env(run.topology.secret_env_names))
    from harness.cli.runs import print_summary

    print_summary(read_evidence(run_dir), console)
    style = "bold green" if result.promoted else "bold red"
    console.print(f"[{style}]{escape(result.summary())}[/]")
    console.print(f"evidence: {run_dir}/ (summary.md, evidence.json, junit.xml)")
    return 0 if result.verdict == "pass" else 1
