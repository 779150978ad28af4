"""What the commands that run against a world share: the run options, and turning parsed
arguments into the one validated RunConfig (the exit codes are in ``harness.cli.exits``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli import options
from harness.runconfig import RunConfig


def add_run_options(parser: argparse.ArgumentParser, *, gate: bool = False) -> None:
    options.add(parser.add_argument, options.RUN)
    if gate:
        options.add(parser.add_argument, options.GATE)


def run_config(args: argparse.Namespace, *, kind: str, reports_dir: Path | None = None,
               run_id: str | None = None, progress: bool = False) -> RunConfig:
    """The run the arguments describe, validated (exit 2 on anything unusable)."""
    return RunConfig.from_options(lambda dest: getattr(args, dest), kind=kind,
                                  reports_dir=reports_dir, run_id=run_id, progress=progress)
