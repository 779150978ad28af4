"""`harness history` (the drill trend table) and the `--screenshot` option of
`harness report`. Thin front: the work is in harness.report.history and .browser."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.cli.options import whole_number
from harness.errors import ConfigError
from harness.report.browser import BrowserError, find_browser, screenshot_run
from harness.report.history import HISTORY_FILE, load_history, trend_columns
from harness.rto import RTO_NAMES

_VERDICT_STYLE = {"pass": "green", "fail": "red", "incomplete": "yellow"}


def register(subparsers: Any) -> None:
    """Add `history` to the CLI's subparsers; the handler is ``args.handler(args)``."""
    parser = subparsers.add_parser(
        "history", help="print the trend of the measured RTOs across past drills",
        description="Print one row per drill from REPORTS/history.jsonl, oldest first.")
    parser.add_argument("--reports", type=Path, default=Path("reports"),
                        help="reports folder holding history.jsonl (default: reports)")
    parser.add_argument("--last", type=whole_number(0, "a number of drills (0 = all)"), default=0,
                        metavar="N",
                        help="only the N most recent drills")
    parser.set_defaults(handler=run_history)


def add_screenshot_option(parser: argparse.ArgumentParser) -> None:
    """Add `--screenshot` to `harness report`; call ``maybe_screenshot`` after rendering."""
    parser.add_argument("--screenshot", action="store_true",
                        help="also save screenshot.png of report.html with headless Chromium")


def run_history(args: argparse.Namespace, console: Console | None = None) -> int:
    console = console or Console(markup=False, emoji=False, highlight=False)
    history = load_history(args.reports)
    if history.problems:
        raise ConfigError(f"{len(history.problems)} line(s) of the drill history are not rows:\n"
                          + "\n".join(f"    {p}" for p in history.problems),
                          where=str(Path(args.reports) / HISTORY_FILE),
                          fix="fix or delete those lines (each drill wrote one JSON object per "
                              "line)")
    rows = history.rows
    if args.last > 0:
        rows = rows[-args.last:]
    if not rows:
        console.print(f"no drill history in {Path(args.reports) / HISTORY_FILE} yet")
        return 0
    table = Table(title=f"Drill history ({len(rows)} drills, oldest first)")
    for column in ("date (UTC)", "run", "backend", *(f"{n} measured / target" for n in RTO_NAMES),
                   "verdict"):
        table.add_column(column, overflow="fold")
    for row, cells in zip(rows, trend_columns(rows), strict=True):
        style = _VERDICT_STYLE.get(row["verdict"], "red")
        # Text, not markup strings: a cell's brackets must print as written.
        table.add_row(*(Text(c) for c in cells[:-1]), Text(cells[-1], style=style))
    console.print(table)
    return 0


def maybe_screenshot(args: argparse.Namespace, run_dir: Path,
                     console: Console | None = None) -> int:
    """The `--screenshot` step of `harness report`: 0 when written or not asked, 2 on error."""
    if not getattr(args, "screenshot", False):
        return 0
    console = console or Console(stderr=True)
    if find_browser() is None:
        console.print("screenshot skipped: no Chromium on PATH (apt-get install -y chromium)")
        return 2
    try:
        png = screenshot_run(run_dir)
    except BrowserError as exc:
        console.print(f"screenshot failed: {exc}")
        return 2
    console.print(f"screenshot: {png}")
    return 0
