"""The commands of ``harness``, declared once: the module that implements each one and its
one-line help. ``harness --help`` lists them from here; a command's module (and whatever it
imports: pytest, boto3, moto, psycopg, rich) is imported only when that command runs or prints
its own help, so the light commands start in a fraction of the heavy ones' time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    module: str
    help: str
    # Whether the handler prints through rich (the others get no console: rich stays unloaded).
    rich: bool = True


COMMANDS: dict[str, Command] = {
    "drill": Command("harness.cli.runs",
                     "run the quarterly rollback drill (default: on staging, in the sim)"),
    "gate": Command("harness.cli.runs",
                    "evaluate the promotion gate checklist for one cycle and SHA"),
    "report": Command("harness.cli.runs", "re-render a run folder from its evidence.json"),
    "topology": Command("harness.cli.topology", "show or validate a topology file"),
    "history": Command("harness.cli.report",
                       "print the trend of the measured RTOs across past drills"),
    "rollback": Command("harness.cli.rollback", "Layer-1 revert of a tier to an earlier revision"),
    "migrations": Command("harness.cli.migrations", "lint and round-trip migration files",
                          rich=False),
    "schema": Command("harness.cli.migrations", "compare database schemas", rich=False),
    "cleanup": Command("harness.cli.cleanup",
                       "undo what a drill left behind on a tier (real accounts: in the sim "
                       "nothing outlives the run, the embedded PostgreSQL included)"),
    "promote": Command("harness.cli.promote",
                       "promote a validated SHA: snapshot, image reuse/copy, new revision, swap, "
                       "verify; automatic rollback on failure"),
    "workflows": Command("harness.cli.workflows", "check the GitHub Actions workflow contract"),
}


def help_for(name: str) -> str:
    return COMMANDS[name].help
