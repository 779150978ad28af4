"""What `harness rollback` and `harness rollback data` share: the options of a rollback's
decision record (why, who) and of its run folder, who ordered it, and the line saying what
is about to run."""

from __future__ import annotations

import argparse
import getpass
import os

from rich.text import Text

from harness.cli import publish
from harness.cli.common import check_text


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reason", required=True, help="incident id and what broke (for the record)")
    p.add_argument("--by", default=None, metavar="NAME",
                   help="who ordered the rollback, for the decision record (default: "
                        "$GITHUB_ACTOR in GitHub Actions, else the login name)")
    p.add_argument("--reports", default="reports", metavar="DIR",
                   help="where the run folder is written (default: ./reports)")
    publish.add_options(p)


def check_options(args: argparse.Namespace) -> None:
    """Before any work: the record's free text is one printable line, --notify a URL."""
    check_text("--reason", args.reason)
    if args.by is not None:
        check_text("--by", args.by)
    publish.check_options(args)


def ordered_by(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    actor = os.environ.get("GITHUB_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def banner(args: argparse.Namespace, what: str) -> Text:
    """What is about to run (printed on stderr: stdout carries only the result)."""
    label = ("sim: SIMULATED, state is not kept after this command" if args.backend == "sim"
             else "aws: real accounts")
    return Text.assemble((what, "bold"), " tier ", (args.tier, "bold"), f" ({label})")
