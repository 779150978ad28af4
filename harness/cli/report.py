"""`harness history` (the drill trend table) and the `--screenshot` option of
`harness report`. Thin front: the work is in harness.report.history and .browser."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.cli.commands import help_for
from harness.cli.options import whole_number
from harness.report.browser import BrowserError, find_browser, screenshot_run
from harness.report.history import HISTORY_FILE, load_history, select, series, trend_columns
from harness.rto import RTO_NAMES

_VERDICT_STYLE = {"pass": "green", "fail": "bold red", "incomplete": "yellow"}


def register(subparsers: Any) -> None:
    """Add `history` to the CLI's subparsers; the handler is ``args.handler(args)``."""
    parser = subparsers.add_parser(
        "history", help=help_for("history"),
        description="Print one row per drill from REPORTS/history.jsonl, oldest first: one "
                    "table per backend and tier, never mixed in one trend. Runs whose verdict "
                    "is not pass are shown and marked.")
    parser.add_argument("--reports", type=Path, default=Path("reports"),
                        help="reports folder holding history.jsonl (default: reports)")
    parser.add_argument("--last", type=whole_number(0, "a number of drills (0 = all)"), default=0,
                        metavar="N", help="only the N most recent drills (of each backend and tier)")
    parser.add_argument("--tier", default=None, help="only the drills on this tier")
    parser.add_argument("--backend", choices=("sim", "aws"), default=None,
                        help="only the drills on this backend (sim rehearsals or real accounts)")
    parser.set_defaults(handler=run_history)


def add_screenshot_option(parser: argparse.ArgumentParser) -> None:
    """Add `--screenshot` to `harness report`; call ``maybe_screenshot`` after rendering."""
    parser.add_argument("--screenshot", action="store_true",
                        help="also save screenshot.png of report.html with headless Chromium")


def run_history(args: argparse.Namespace, console: Console | None = None) -> int:
    console = console or Console(markup=False, emoji=False, highlight=False)
    history = load_history(args.reports)
    for problem in history.problems:
        console.print(Text(f"warning: {problem}", style="yellow"))
    tier, backend = getattr(args, "tier", None), getattr(args, "backend", None)
    groups = series(select(history.rows, backend=backend, tier=tier))
    if not groups:
        which = " ".join(f"{k} {v}" for k, v in (("tier", tier), ("backend", backend)) if v)
        console.print(f"no drill history{' for ' + which if which else ''} in "
                      f"{Path(args.reports) / HISTORY_FILE} yet", markup=False)
        return 0
    for (row_backend, row_tier), rows in groups.items():
        if args.last > 0:
            rows = rows[-args.last:]
        console.print(_history_table(rows, f"Drill history: tier {row_tier}, backend "
                                           f"{row_backend} ({len(rows)} drills, oldest first)"))
    return 0


def _history_table(rows: list[Any], title: str) -> Table:
    table = Table(title=Text(title))
    for column in ("date (UTC)", "run", "backend", *(f"{n} measured / target" for n in RTO_NAMES),
                   "verdict"):
        table.add_column(column, overflow="fold")
    for row, cells in zip(rows, trend_columns(rows), strict=True):
        style = _VERDICT_STYLE.get(row["verdict"], "bold red")
        # Text, not markup strings: a cell's brackets must print as written. A run that did
        # not pass stays in the table, marked (an incomplete one's RTOs are not in the trend).
        mark = " ✗" if row["verdict"] != "pass" else ""
        table.add_row(*(Text(c) for c in cells[:-1]), Text(cells[-1] + mark, style=style))
    return table


def maybe_screenshot(args: argparse.Namespace, run_dir: Path,
                     console: Console | None = None) -> int:
    """The `--screenshot` step of `harness report`: 0 when written or not asked, 2 on error."""
    if not getattr(args, "screenshot", False):
        return 0
    console = console or Console(stderr=True, markup=False, emoji=False, highlight=False)
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
