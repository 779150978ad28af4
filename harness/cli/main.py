"""`harness ...`: the command-line front. Thin: parses, calls the library, prints, exits.

Exit codes: 0 = pass, 1 = a check failed, 2 = usage or configuration error.

Only the module of the command being run is imported (``harness.cli.commands``): the parser
lists every command by name and help, and builds the chosen one's options in full.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from harness.cli.commands import COMMANDS
from harness.cli.exits import EXIT_FAIL
from harness.errors import HarnessError

if TYPE_CHECKING:
    from rich.console import Console

Handler = Callable[[argparse.Namespace, "Console | None"], int]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command in full; or, given ``only`` (the first word of a command line, which may
    be no command at all, e.g. ``--help``), only that command in full (its module imported)
    and every other one listed by name and help."""
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Verify the staging -> production promotion and rollback runbook.",
    )
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
    try:
        return handler(args, _console() if COMMANDS[args.command].rich else None)
    except HarnessError as exc:
        from rich.text import Text

        # The message is data (paths, identifiers): never read as rich markup.
        _console(stderr=True).print(Text.assemble(("error:", "bold red"), " ", exc.render()))
        return exc.exit_code
    except KeyboardInterrupt:
        _console(stderr=True).print("interrupted")
        return EXIT_FAIL


def _console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    # Wide output when piped (CI logs), the terminal's width otherwise.
    width = None if sys.stdout.isatty() else 160
    return Console(stderr=stderr, highlight=False, width=width)


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
