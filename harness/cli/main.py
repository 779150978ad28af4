"""`harness ...`: the command-line front. Thin: parses, calls the library, prints, exits.

Exit codes, the same for every command (README, "Exit codes"): 0 = pass; 1 = a check failed
or could not run (verdict fail or incomplete); 2 = usage or configuration error, found before
any work; 130 / 143 = stopped by SIGINT / SIGTERM (after the undo ran, or was skipped by a
second interrupt).

Only the module of the command being run is imported (``harness.cli.commands``): the parser
lists every command by name and help, and builds the chosen one's options in full.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, NoReturn

from harness import __version__, interrupts
from harness.cli import terminal
from harness.cli.commands import COMMANDS
from harness.cli.exits import EXIT_FAIL
from harness.cli.parsing import HarnessParser
from harness.errors import HarnessError
from harness.redact import Redactor

if TYPE_CHECKING:  # rich loads only for the commands that print through it
    from rich.console import Console

Handler = Callable[[argparse.Namespace, "Console | None"], int]
# Set to 1 to see the traceback of an unexpected error (masked like every other output).
DEBUG_ENV = "HARNESS_DEBUG"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command in full; or, given ``only`` (the first word of a command line, which may
    be no command at all, e.g. ``--help``), only that command in full (its module imported)
    and every other one listed by name and help."""
    parser = HarnessParser(
        prog="harness",
        description="Verify the staging -> production promotion and rollback runbook.",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = COMMANDS[only].module if only in COMMANDS else None
    registered: set[str] = set()
    for name, spec in COMMANDS.items():
        if only is not None and spec.module != wanted:
            sub.add_parser(name, help=spec.help)
        elif spec.module not in registered:
            # A module registers all of its commands at once (e.g. drill, gate and report).
            importlib.import_module(spec.module).register(sub)
            registered.add(spec.module)
    # `workflows check` parses workflow commands with a complete parser of its own.
    parser.set_defaults(build_parser=build_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(words[0] if words else "").parse_args(words)
    handler: Handler = args.handler
    # Commands that change a tier stop cleanly on SIGINT/SIGTERM (harness.interrupts).
    stops: AbstractContextManager[None] = (
        interrupts.handling() if getattr(args, "interruptible", False) else nullcontext())
    with stops, terminal.heartbeats():
        try:
            # rich (and its start-up) only for the commands that print through it.
            return handler(args, terminal.console() if COMMANDS[args.command].rich else None)
        except HarnessError as exc:
            _error(exc.render())
            return exc.exit_code
        except KeyboardInterrupt as exc:
            return interrupted(exc, terminal.console(stderr=True))
        except Exception as exc:
            # A bug, not an input problem: one masked line, the traceback only on request.
            if os.environ.get(DEBUG_ENV) == "1":
                import traceback  # only when asked for: nothing else at start-up needs it

                _error(traceback.format_exc())
            _error(f"internal error: {type(exc).__name__}: {exc}",
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


def _error(text: str, fix: str | None = None) -> None:
    from rich.text import Text

    redactor = Redactor.from_env()
    line = Text.assemble(("error:", "bold red"), " ", redactor.text(text))
    if fix:
        line.append(f"\n  fix: {fix}")
    terminal.console(stderr=True).print(line, soft_wrap=True)


def run() -> NoReturn:
    """The ``harness`` command: ``main``, then out without tearing the interpreter down.
    After a drill the heap holds moto and pytest (~350,000 objects): freeing them one by one
    at exit costs ~1 s of CPU and serves no process that is ending. Output is flushed and the
    exit handlers (temporary directories, logging) run first, as on a normal exit."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    run()
