"""`harness workflows check DIR`: the workflow contract over a folder of GitHub Actions
files (e.g. .github/workflows), and every `harness ...` command in their `run:` steps parsed
by this CLI's own parser. Exit 0 when every claim holds, 1 when one is broken."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.markup import escape

from harness import workflows


def register(sub: Any) -> None:
    top = sub.add_parser("workflows", help="check the GitHub Actions workflow contract")
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


def _check(args: argparse.Namespace, console: Console) -> int:
    from harness.cli.main import build_parser

    report = workflows.read_dir(args.dir, parser=build_parser)
    if args.json:
        console.print_json(json.dumps({"directory": report.directory, "ok": report.ok,
                                       "claims": [asdict(c) for c in report.claims]}))
        return 0 if report.ok else 1
    for claim in report.claims:
        style = "green" if claim.ok else "bold red"
        console.print(f"[{style}]{escape(claim.render())}[/]", soft_wrap=True)
    held = len(report.claims) - len(report.broken)
    if report.ok:
        console.print(f"[bold green]workflow contract holds[/]: {held} claims in {report.directory}")
        return 0
    console.print(f"[bold red]workflow contract BROKEN[/]: {len(report.broken)} of "
                  f"{len(report.claims)} claims broken in {report.directory}")
    return 1
