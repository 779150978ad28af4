"""Render time of the HTML report (and of every rendering) for a large run.

Usage: python bench/report_render.py [CHECKS] [HISTORY_ROWS] [REPEATS]
Builds a drill with CHECKS checks (default 50, copied from the sim drill fixture, with
their steps, diffs and tables) and HISTORY_ROWS past drills (default 20), then prints the
median time of render_html, of render_all, and of one Chromium screenshot when present.
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.report import render_all
from harness.report.browser import find_browser, screenshot
from harness.report.history import HistoryRow, history_row
from harness.report.html import render_html

FIXTURE = Path(__file__).resolve().parents[1] / "tests/fixtures/evidence/sim-drill.json"


def big_run(checks: int, rows: int) -> tuple[dict[str, Any], list[HistoryRow]]:
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    base = doc["checks"]
    doc["checks"] = []
    for i in range(checks):
        c = copy.deepcopy(base[i % len(base)])
        c["id"] = f"c{i + 1:03d}"
        doc["checks"].append(c)
    history = []
    for i in range(rows):
        row = history_row(doc)
        row["run_id"] = f"2026{i:04d}-drill-{i:04d}"
        row["date"] = f"20{20 + i // 4:02d}-{3 * (i % 4) + 1:02d}-15T09:00:00.000Z"
        for name, point in row["rto"].items():
            if point is not None:
                row["rto"][name] = {**point, "seconds": point["seconds"] * (1 + (i % 5) / 4)}
        history.append(row)
    history[-1]["run_id"] = doc["run_id"]
    return doc, history


def median_ms(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main(argv: list[str]) -> int:
    checks = int(argv[0]) if argv else 50
    rows = int(argv[1]) if len(argv) > 1 else 20
    repeats = int(argv[2]) if len(argv) > 2 else 20
    doc, history = big_run(checks, rows)
    t0 = time.perf_counter()
    page = render_html(doc, history)
    first = (time.perf_counter() - t0) * 1000
    html_ms = median_ms(lambda: render_html(doc, history), repeats)
    all_ms = median_ms(lambda: render_all(doc, history), repeats)
    print(f"{checks} checks, {rows} history rows: report.html {len(page) / 1024:.0f} KiB")
    print(f"render_html: first call {first:.1f} ms (template load), median {html_ms:.1f} ms "
          f"over {repeats}")
    print(f"render_all (summary.md, junit.xml, report.html): median {all_ms:.1f} ms")
    if find_browser():
        with tempfile.TemporaryDirectory() as tmp:
            html = Path(tmp) / "report.html"
            html.write_text(page, encoding="utf-8")
            t0 = time.perf_counter()
            screenshot(html, Path(tmp) / "screenshot.png")
            print(f"chromium screenshot: {(time.perf_counter() - t0) * 1000:.0f} ms")
    else:
        print("chromium screenshot: skipped (no Chromium on PATH)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
