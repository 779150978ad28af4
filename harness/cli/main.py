"""`harness ...`: the command-line front. Thin: parses, calls the library, prints, exits.

Exit codes: 0 = pass, 1 = a check failed, 2 = usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import HarnessError

if TYPE_CHECKING:  # rich and the topology load only for the commands that use them
    from rich.console import Console

    from harness import topology as topology_mod

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

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

    parser = argparse.ArgumentParser(
        prog="harness",
        description="Verify the staging -> production promotion and rollback runbook.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (runs, topology, report, rollback, migrations, cleanup, promote, workflows):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] in (["migrations"], ["schema"]):
        # No database, AWS or pytest machinery on these paths: skip building every command.
        from harness.cli import migrations

        return migrations.main(words)
    from rich.console import Console

    parser = build_parser()
    args = parser.parse_args(argv)
    # Wide output when piped (CI logs), the terminal's width otherwise.
    width = None if sys.stdout.isatty() else 160
    console = Console(highlight=False, width=width)
    err = Console(stderr=True, highlight=False, width=width)
    handler: Handler = args.handler
    try:
        return handler(args, console)
    except HarnessError as exc:
        err.print(f"[bold red]error:[/] {exc.render()}", markup=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        return EXIT_FAIL


def add_shared_options(parser: argparse.ArgumentParser) -> None:
    from harness.pytest.runconfig import RunConfig  # pytest: only for the commands that run it

    RunConfig.add_options(parser)


def load_topology(path: str | None) -> topology_mod.Topology:
    from harness import topology as topology_mod

    return topology_mod.load(path)


def project_root() -> Path:
    """The checkout holding features/ and steps/: from the working directory upwards, else
    the one the harness package was installed from (editable install)."""
    candidates = [Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]]
    for path in candidates:
        if (path / "features").is_dir() and (path / "steps").is_dir():
            return path
    raise HarnessError("cannot find the features/ and steps/ folders",
                       fix="run harness from the project checkout (or install it editable)")


if __name__ == "__main__":
    sys.exit(main())
