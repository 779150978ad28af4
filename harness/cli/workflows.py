"""`harness workflows check DIR`: the workflow contract over a folder of GitHub Actions
files (e.g. .github/workflows). Exit 0 when every claim holds, 1 when one is broken."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.text import Text

from harness import workflows


def register(sub: Any) -> None:
    top = sub.add_parser("workflows", help="check the GitHub Actions workflow contract")
    wsub = top.add_subparsers(dest="workflows_command", required=True, metavar="ACTION")
    check = wsub.add_parser(
        "check", help="verify the promote / rollback / CI workflow claims in DIR",
        description="Verify that promote-to-prod.yml and rollback-prod.yml are dispatch-only "
                    "with their inputs, declare environment production and share the "
                    "prod-promote concurrency group, and that ci.yml deploys to staging from "
                    "main only with the legacy production job disabled.")
    check.add_argument("dir", metavar="DIR", help="folder holding the workflow files")
    check.add_argument("--json", action="store_true", help="print the claims as JSON")
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace, console: Console) -> int:
    report = workflows.read_dir(args.dir)
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
