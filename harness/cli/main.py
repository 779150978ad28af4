"""`harness ...`: the command-line front. Thin: parses, calls the library, prints, exits.

Exit codes: 0 = pass, 1 = a check failed, 2 = usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from harness import __version__
from harness.cli.exits import EXIT_FAIL
from harness.cli.parsing import HarnessParser
from harness.errors import HarnessError

if TYPE_CHECKING:  # rich loads only for the commands that print through it
    from rich.console import Console

Handler = Callable[[argparse.Namespace, "Console"], int]


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
    try:
        with terminal.heartbeats():
            return handler(args, console)
    except HarnessError as exc:
        err.print(f"[bold red]error:[/] {exc.render()}", markup=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
