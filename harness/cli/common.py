"""What the commands that run against a world share: the run options, and turning parsed
arguments into the one validated RunConfig (the exit codes are in ``harness.cli.exits``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli import options
from harness.errors import ConfigError
from harness.runconfig import RunConfig


def add_run_options(parser: argparse.ArgumentParser, *, gate: bool = False) -> None:
    options.add(parser.add_argument, options.RUN)
    if gate:
        options.add(parser.add_argument, options.GATE)


def check_text(flag: str, value: str) -> str:
    """Free text that ends up in evidence, tags and tables: one line, no control characters."""
    if not value.strip() or not value.isprintable():
        raise ConfigError(f"{flag} must be one line of printable text, got {value!r}",
                          fix=f"pass e.g. {flag} \"NQU-865: promote the validated build\"")
    return value


def run_config(args: argparse.Namespace, *, kind: str, reports_dir: Path | None = None,
               run_id: str | None = None, progress: bool = False) -> RunConfig:
    """The run the arguments describe, validated (exit 2 on anything unusable)."""
    return RunConfig.from_options(lambda dest: getattr(args, dest), kind=kind,
                                  reports_dir=reports_dir, run_id=run_id, progress=progress)
