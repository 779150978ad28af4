"""`harness ...`: the command-line front. Thin: parses, calls the library, prints, exits.

Exit codes, the same for every command (README, "Exit codes"): 0 = pass; 1 = a check failed
or could not run (verdict fail or incomplete); 2 = usage or configuration error, found before
any work; 130 / 143 = stopped by SIGINT / SIGTERM (after the undo ran, or was skipped by a
second interrupt).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from harness import __version__, interrupts
from harness.cli.exits import EXIT_FAIL
from harness.cli.parsing import HarnessParser
from harness.errors import HarnessError
from harness.redact import Redactor

if TYPE_CHECKING:  # rich loads only for the commands that print through it
    from rich.console import Console

Handler = Callable[[argparse.Namespace, "Console"], int]
# Set to 1 to see the traceback of an unexpected error (masked like every other output).
DEBUG_ENV = "HARNESS_DEBUG"


def build_parser() -> argparse.ArgumentParser:
    from harness.cli import (
        cleanup,
        migrations,
        promote,
        report,
        rollback,
        runs,
        topology,
        workflows,
    )

    parser = HarnessParser(
        prog="harness",
        description="Verify the staging -> production promotion and rollback runbook.",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (runs, topology, report, rollback, migrations, cleanup, promote, workflows):
        module.register(sub)
    # `workflows check` parses workflow commands with a parser of its own, built here.
    parser.set_defaults(build_parser=build_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] in (["migrations"], ["schema"]):
        # No database, AWS or pytest machinery on these paths: skip building every command.
        from harness.cli import migrations

        return migrations.main(words)
    from harness.cli import terminal

    parser = build_parser()
    args = parser.parse_args(argv)
    console, err = terminal.console(), terminal.console(stderr=True)
    handler: Handler = args.handler
    # Commands that change a tier stop cleanly on SIGINT/SIGTERM (harness.interrupts).
    stops: AbstractContextManager[None] = (
        interrupts.handling() if getattr(args, "interruptible", False) else nullcontext())
    with stops, terminal.heartbeats():
        try:
            return handler(args, console)
        except HarnessError as exc:
            _error(err, exc.render())
            return exc.exit_code
        except KeyboardInterrupt as exc:
            return interrupted(exc, err)
        except Exception as exc:
            # A bug, not an input problem: one masked line, the traceback only on request.
            if os.environ.get(DEBUG_ENV) == "1":
                _error(err, traceback.format_exc())
            _error(err, f"internal error: {type(exc).__name__}: {exc}",
                   f"this is a harness bug; re-run with {DEBUG_ENV}=1 for the traceback and "
                   "report it")
            return EXIT_FAIL


def interrupted(exc: KeyboardInterrupt, err: Console) -> int:
    """Say how the run was stopped and what it left; the exit code of the signal."""
    signum = (exc.signum if isinstance(exc, interrupts.Interrupted)
              else interrupts.received() or signal.SIGINT)
    left = interrupts.left()
    err.print(f"interrupted by {interrupts.signal_name(signum)}")
    if interrupts.abandoned():
        err.print("the undo was skipped; left for `harness cleanup`:")
        for item in left or ["(nothing the run had recorded)"]:
            err.print(f"  - {item}")
    return interrupts.exit_code(signum)


def _error(err: Console, text: str, fix: str | None = None) -> None:
    from rich.text import Text

    redactor = Redactor.from_env()
    line = Text.assemble(("error:", "bold red"), " ", redactor.text(text))
    if fix:
        line.append(f"\n  fix: {fix}")
    err.print(line, soft_wrap=True)


if __name__ == "__main__":
    sys.exit(main())
