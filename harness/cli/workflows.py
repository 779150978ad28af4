"""`harness workflows check DIR`: the workflow contract over a folder of GitHub Actions
files (e.g. .github/workflows), and every `harness ...` command in their `run:` steps parsed
by this CLI's own parser. Exit 0 when every claim holds, 1 when one is broken."""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.text import Text

from harness import workflows
from harness.cli.commands import help_for
from harness.workflows.shell import dynamic


def register(sub: Any) -> None:
    top = sub.add_parser("workflows", help=help_for("workflows"))
    wsub = top.add_subparsers(dest="workflows_command", required=True, metavar="ACTION")
    check = wsub.add_parser(
        "check", help="verify the promote / rollback / CI workflow claims in DIR",
        description="Verify that promote-to-prod.yml and rollback-prod.yml are dispatch-only "
                    "with their inputs, declare environment production and share the "
                    "prod-promote concurrency group, and that ci.yml deploys to staging from "
                    "main only with the legacy production job disabled; and that every "
                    "`harness ...` command in a run: step of any workflow file in DIR parses "
                    "with this harness's command line (flags, required arguments).")
    check.add_argument("dir", metavar="DIR", help="folder holding the workflow files")
    check.add_argument("--json", action="store_true", help="print the claims as JSON")
    check.set_defaults(handler=_check)


def parser_check(parser: argparse.ArgumentParser) -> workflows.Check:
    """The workflow check of harness arguments by ``parser`` (the real CLI's), relaxed so a
    value filled in at run time (``"$SHA"``, ``${{ inputs.cycle }}``) passes any option's
    type or choices: only what is written is checked."""
    relax(parser)
    return functools.partial(parse_error, parser)


class _Choices(list[Any]):
    """Choices that also admit a value known only at run time."""

    def __contains__(self, value: object) -> bool:
        return (isinstance(value, str) and dynamic(value)) or super().__contains__(value)


def relax(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Let every option (in every subcommand) take a run-time value unchecked; the names of
    options and subcommands, and which are required, stay as strict as the real CLI."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                relax(sub)
            continue
        if callable(action.type):
            action.type = _passing_dynamic(action.type)
        if action.choices is not None and not isinstance(action.choices, _Choices):
            action.choices = _Choices(action.choices)
    return parser


def _passing_dynamic(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    @functools.wraps(convert)
    def wrapper(value: str) -> Any:
        return value if dynamic(value) else convert(value)
    return wrapper


def parse_error(parser: argparse.ArgumentParser, arguments: tuple[str, ...]) -> str | None:
    """argparse's own complaint about ``arguments`` (None when they parse)."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            parser.parse_args(list(arguments))
    except SystemExit as exc:
        if exc.code in (0, None):
            return None  # --help / --version: parsed, printed, left
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        return lines[-1] if lines else f"argparse exited {exc.code}"
    return None


def _check(args: argparse.Namespace, console: Console) -> int:
    report = workflows.read_dir(args.dir, check=parser_check(args.build_parser()))
    if args.json:
        console.print_json(json.dumps({"directory": report.directory, "ok": report.ok,
                                       "claims": [asdict(c) for c in report.claims]}))
        return 0 if report.ok else 1
    for claim in report.claims:
        style = "green" if claim.ok else "bold red"
        console.print(Text(claim.render(), style=style), soft_wrap=True)
    held = len(report.claims) - len(report.broken)
    if report.ok:
        console.print(Text.assemble(("workflow contract holds", "bold green"),
                                    f": {held} claims in {report.directory}"), soft_wrap=True)
        return 0
    console.print(Text.assemble(("workflow contract BROKEN", "bold red"),
                                f": {len(report.broken)} of {len(report.claims)} claims broken "
                                f"in {report.directory}"), soft_wrap=True)
    return 1
