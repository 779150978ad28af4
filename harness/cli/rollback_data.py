"""`harness rollback data`: Layer 2 (the data) as an evidence run, in the runbook's order,
with a --plan that only reads. The work is ``harness.rollback.data``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.text import Text

from harness.backend.registry import open_backend
from harness.cli import preflight, publish, record
from harness.cli.common import add_run_options, run_config
from harness.cli.exits import EXIT_FAIL, EXIT_PASS
from harness.cli.parsing import subcommand_parser
from harness.evidence.journal import Decision, RollbackRecord
from harness.rollback.phases import DATA_FEATURE, PhaseLog
from harness.rto import DATA_RTO

_HELP = """\
Take one migration back on a tier, in the runbook's order. The application must already
run a revision that works with the schema as it is (roll it back first with `harness
rollback`): it must be healthy now. Then the migration's down is run and its _migrations
row deleted, and the application must be healthy on the schema it left. Only when the
down fails, the migration has none, or the data is already corrupt (--data-corrupt), the
pre-promotion snapshot (the newest one tagged harness:cycle taken before the migration
was applied, or --snapshot ID) is restored to a NEW instance, the copy is verified
(readable, its _migrations without the migration), the DB-host secret is pointed at it, a
new deployment forced, and deep health waited for. Every phase is a timed check in the
run folder; the data RTO runs from the first write until the application is healthy.

The migration must be the newest one applied on the tier (take later ones back first).
Production needs --allow-prod-write; --plan only reads and needs neither.

With --backend sim the command stages the incident in its own simulated world first (a
pre-promotion snapshot, then the sim cycle's migrations up to VERSION applied after it);
--sim-fault down-migration-fails and migration-lost-data make the other paths.
"""


def register(rollback: argparse.ArgumentParser) -> None:
    p = subcommand_parser(rollback, "data", description=_HELP,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(p)
    p.add_argument("--migration", required=True, metavar="VERSION",
                   help="the version of the migration to take back (e.g. 20260601090000)")
    p.add_argument("--snapshot", default=None, metavar="ID",
                   help="the snapshot to restore if the down cannot be used (default: the newest "
                        "pre-promotion snapshot taken before the migration was applied)")
    p.add_argument("--data-corrupt", action="store_true",
                   help="the data is already corrupt: skip the down, restore the snapshot")
    p.add_argument("--migrations", default=None, metavar="DIR",
                   help="the folder holding the migration files (default: the topology's "
                        "migrations.dir); ignored by the sim, which stages its own")
    record.add_options(p)
    p.add_argument("--plan", action="store_true",
                   help="print what the data rollback would do and change nothing")
    p.set_defaults(handler=_data, interruptible=True)


def _data(args: argparse.Namespace, console: Console) -> int:
    # The world (boto3, psycopg) and the migration parser (pglast) load only when the
    # command runs (`workflows check` builds this parser too).
    from harness.cli import terminal
    from harness.cli.runs import print_summary
    from harness.rollback import data
    from harness.world import World

    run = run_config(args, kind="rollback", reports_dir=Path(args.reports).resolve())
    record.check_options(args)
    preflight.check(run, preflight.needs(run, "rollback data", plan=args.plan))
    err = terminal.console(stderr=True)
    err.print(record.banner(args, "DATA ROLLBACK"), soft_wrap=True)
    migrations = Path(args.migrations or run.topology.migrations.dir)
    with open_backend(run) as backend:
        world = World(backend, allow_prod_write=run.allow_prod_write)
        notes = backend.notes()
        if world.rehearsal is not None:
            staged = world.rehearsal.stage_data_incident(world, args.tier, args.migration)
            migrations = staged.migrations_dir
            notes.append(staged.note)
            err.print(Text(staged.note), soft_wrap=True)
        req = data.DataRequest(tier=args.tier, version=args.migration, reason=args.reason,
                               migrations_dir=migrations, snapshot_id=args.snapshot,
                               data_corrupt=args.data_corrupt, cycle=run.cycle)
        plan = data.make_plan(world, req)
        if args.plan:
            for line in plan.lines():
                console.print(Text(line), soft_wrap=True)
            return EXIT_PASS
        journal = run.new_journal()
        for note in notes:
            journal.add_note(note)
        log = PhaseLog(DATA_FEATURE, journal)
        result = None
        with publish.phased(journal, run, log):
            result = data.run(world, plan, log)
        m = result.measurement if result is not None else None
        journal.decision = Decision(
            cycle=run.cycle, sha=None,
            snapshot_id=result.snapshot_restored if result is not None else None,
            signed_off_by=None, verdict="pass" if journal.verdict == "pass" else "fail",
            rollback=RollbackRecord(
                "data", record.ordered_by(args), args.reason, to_revision=plan.app.label,
                migration=args.migration, data_path=result.path if result else None,
                rto_name=DATA_RTO,
                rto_seconds=m.seconds if m is not None and m.completed else None))
        doc, run_dir = publish.write(journal, run)
    publish.publish(doc, run_dir, args, console, topology=run.topology, human=print_summary)
    return EXIT_PASS if doc["verdict"] == "pass" else EXIT_FAIL
