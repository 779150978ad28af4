"""Render time of the HTML report (and of every rendering) for a large run, against jinja2
rendering the same evidence with a plain template and against json.dumps of it, in one run.

Usage: python bench/report_render.py [CHECKS] [HISTORY_ROWS] [REPEATS]
Builds a drill with CHECKS checks (default 50, copied from the sim drill fixture, with
their steps, diffs and tables) and HISTORY_ROWS past drills (default 20). The first call
(a new process's: template load and compile) is timed against jinja2 compiling the same
template; a Chromium screenshot, when a browser is present, against one of a blank page.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import jinja2
from figures import Row, load, print_table, rounds

from harness.report import html
from harness.report.browser import find_browser, screenshot
from harness.report.history import HistoryRow, history_row
from harness.report.renderings import render_all

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


# The baseline page: the same evidence through jinja2 (same options, autoescaped) with no
# harness code in between: every check, step, attachment and measurement, as plain rows.
PLAIN = """<!DOCTYPE html><html><head><title>{{ doc.run_id }}</title></head><body>
<h1>{{ doc.kind }} {{ doc.verdict }}</h1>
{% for c in doc.checks %}<section><h2>{{ c.name }}: {{ c.status }} ({{ c.duration_s }} s)</h2>
<p>{{ c.detail }}</p><p>{{ c.error }}</p>
<ul>{% for s in c.steps %}<li>{{ s.keyword }} {{ s.text }}: {{ s.status }} ({{ s.duration_s }} s)
{{ s.error }}</li>{% endfor %}</ul>
{% for a in c.attachments %}<pre>{{ a.name }} {{ a.content | tojson }}</pre>{% endfor %}
{% for l in c.links %}<a href="{{ l.url }}">{{ l.label }}</a>{% endfor %}</section>{% endfor %}
{% for m in doc.measurements %}<p>{{ m.name }} {{ m.seconds }} {{ m.target_seconds }}
{{ m.phases | tojson }}</p>{% endfor %}
<table>{% for r in history %}
<tr><td>{{ r.run_id }}</td><td>{{ r.date }}</td><td>{{ r.rto | tojson }}</td></tr>{% endfor %}</table>
</body></html>"""


def environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    return jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True,
                              lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def first_render(doc: dict[str, Any], history: list[HistoryRow]) -> None:
    html._environment.cache_clear()  # what a new process pays: load and compile the template
    html.render_html(doc, history)


def main(argv: list[str]) -> int:
    checks = int(argv[0]) if argv else 50
    rows = int(argv[1]) if len(argv) > 1 else 20
    repeats = int(argv[2]) if len(argv) > 2 else 20
    doc, history = big_run(checks, rows)
    page = html.render_html(doc, history)
    plain = environment().from_string(PLAIN)
    load_before = load()
    t = rounds({
        "html": lambda: html.render_html(doc, history),
        "plain": lambda: plain.render(doc=doc, history=history),
        "all": lambda: render_all(doc, history),
        "json": lambda: json.dumps(doc, indent=2),
        "first": lambda: first_render(doc, history),
        "compile": lambda: environment(jinja2.PackageLoader("harness", "report/templates")
                                       ).get_template("report.html.j2"),
    }, repeats)
    table = [
        Row("render_html", t["html"], "plain jinja2 page, same evidence", t["plain"]),
        Row("render_all (md, junit, html)", t["all"], "json.dumps(evidence, indent=2)", t["json"]),
        Row("render_html, first call", t["first"], "jinja2 compile of report.html.j2", t["compile"]),
    ]
    browser_note = "chromium screenshot: skipped (no Chromium on PATH)"
    if find_browser():
        with tempfile.TemporaryDirectory() as tmp:
            report, blank = Path(tmp) / "report.html", Path(tmp) / "blank.html"
            report.write_text(page, encoding="utf-8")
            blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
            shots = rounds({"report": lambda: screenshot(report, Path(tmp) / "a.png"),
                            "blank": lambda: screenshot(blank, Path(tmp) / "b.png")}, 3)
        table.append(Row("chromium screenshot", shots["report"], "same, of a blank page",
                         shots["blank"]))
        browser_note = ""
    print_table(f"Report rendering: {checks} checks, {rows} history rows, report.html "
                f"{len(page) / 1024:.0f} KiB", table, load_before=load_before, runs=repeats)
    if browser_note:
        print(f"  {browser_note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
