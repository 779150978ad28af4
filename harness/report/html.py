"""The HTML acceptance report: one self-contained page (inline CSS and SVG, no scripts,
fonts or external resources; printable) with the verdict first and detail on request.

Attachments are drawn by kind:

- ``text``: preformatted text.
- ``json``: any JSON value, pretty-printed.
- ``diff``: a unified diff as one string or a list of lines; lines are coloured by their
  first character (``+`` added, ``-`` removed, ``@@`` hunk, ``+++``/``---`` file headers).
- ``table``: one of three shapes (e.g. a data fingerprint, source vs restored):

  1. ``{"columns": ["table", "rows", "hash"], "rows": [["users", 3, "9f.."], ...]}``
     (rows may also be objects keyed by column name);
  2. a list of objects, ``[{"table": "users", "rows": 3}, ...]``: the columns are the keys
     in first-seen order, a missing key is an empty cell;
  3. a list of lists whose first row is the header.

  Cells are shown as text; ``true``/``false`` cells read yes/no and are coloured, so a
  ``match`` column stands out. Any other shape is shown as JSON with a note.

Only http(s) and relative links become anchors; anything else (``javascript:``...) is shown
as text. The page embeds no clock: the same evidence and history give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from harness.report.format import (
    STATUS_LABEL,
    first_line,
    headline,
    result_text,
    seconds,
    short_seconds,
    stop_lines,
)
from harness.report.history import HistoryRow, select, trend_columns
from harness.report.outcome import decision_record, outcome
from harness.report.svg import drawable, has_trend, timeline_caption, timeline_svg, trend_svg
from harness.rto import RTO_NAMES

# Kinds whose runs take a decision: only their reports say when none was recorded.
DECIDING_KINDS = ("promote", "gate", "rollback")


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[tuple[str, str]]]  # (text, css class) per cell


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("harness", "report/templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def safe_url(url: str) -> bool:
    """True for http(s) and scheme-less (relative) URLs, the only ones rendered as links."""
    scheme = urlsplit(url.strip()).scheme.lower()
    return scheme in ("http", "https", "")


def diff_lines(content: Any) -> list[tuple[str, str]]:
    """(css class, line) for each line of a unified diff given as a string or lines."""
    lines = content.splitlines() if isinstance(content, str) else [str(x) for x in content]
    out = []
    for line in lines:
        if line.startswith(("+++", "---")):
            cls = "hdr"
        elif line.startswith("@@"):
            cls = "hunk"
        elif line.startswith("+"):
            cls = "add"
        elif line.startswith("-"):
            cls = "del"
        else:
            cls = "ctx"
        out.append((cls, line))
    return out


def _cell(value: Any) -> tuple[str, str]:
    if value is True:
        return "yes", "ok"
    if value is False:
        return "no", "bad"
    if value is None:
        return "", ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False), ""
    return str(value), ""


def table_shape(content: Any) -> Table | None:
    """Normalise a table attachment (see the module docstring); None for an unknown shape."""
    if isinstance(content, Mapping) and isinstance(content.get("columns"), list) \
            and isinstance(content.get("rows"), list):
        columns = [str(c) for c in content["columns"]]
        rows = content["rows"]
        if all(isinstance(r, Mapping) for r in rows):
            return Table(columns, [[_cell(r.get(c)) for c in columns] for r in rows])
        if all(isinstance(r, list) for r in rows):
            return Table(columns, [[_cell(v) for v in r] for r in rows])
        return None
    if isinstance(content, list) and content and all(isinstance(r, Mapping) for r in content):
        columns = list(dict.fromkeys(str(k) for r in content for k in r))
        return Table(columns, [[_cell(r.get(c)) for c in columns] for r in content])
    if isinstance(content, list) and content and all(isinstance(r, list) for r in content):
        return Table([str(c) for c in content[0]], [[_cell(v) for v in r] for r in content[1:]])
    return None


def _attachment(att: Mapping[str, Any]) -> dict[str, Any]:
    kind, content = att["kind"], att["content"]
    view: dict[str, Any] = {"name": att["name"], "kind": kind}
    if kind == "diff":
        view["lines"] = diff_lines(content)
    elif kind == "table" and (table := table_shape(content)) is not None:
        view["table"] = table
    elif kind == "text" and isinstance(content, str):
        view["text"] = content
    else:
        if kind == "table":
            view["unknown_shape"] = True
        view["text"] = json.dumps(content, indent=2, ensure_ascii=False)
    return view


def _check(c: dict[str, Any]) -> dict[str, Any]:
    result, more = first_line(result_text(c))
    return {
        **c,
        "label": STATUS_LABEL[c["status"]],
        "duration": seconds(c["duration_s"]),
        # The first line whole; the rest is one click away in the expanded row.
        "result": result,
        "more_lines": more,
        "links": [{**link, "safe": safe_url(link["url"])} for link in c["links"]],
        "steps": [{**s, "label": STATUS_LABEL[s["status"]], "duration": seconds(s["duration_s"])}
                  for s in c["steps"]],
        "attachments": [_attachment(a) for a in c["attachments"]],
    }


def _measurement(m: Mapping[str, Any], checks: Mapping[str, str]) -> dict[str, Any]:
    state = "met" if m["met"] else ("did not complete" if not m["completed"] else "BREACHED")
    return {
        **m,
        "state": state,
        "measured": seconds(m["seconds"]),
        "target": short_seconds(m["target_seconds"]) if m["target_seconds"] is not None else "-",
        "resolution": seconds(m["resolution_seconds"]),
        "check_name": checks.get(m["check"] or "", ""),
        # svg.py escapes every text it places, so its output is trusted markup. A span below
        # the resolution has no timeline worth drawing: the caption says so instead.
        "svg": Markup(timeline_svg(m)) if drawable(m) else None,
        "caption": timeline_caption(m),
    }


def render_html(doc: dict[str, Any], history: Sequence[HistoryRow] = ()) -> str:
    """The report page of ``doc``; ``history`` = drill rows up to and including this run (only
    those on the run's backend and tier are drawn)."""
    checks = [_check(c) for c in doc["checks"]]
    names = {c["id"]: c["name"] for c in doc["checks"]}
    counts = {label: sum(1 for c in doc["checks"] if c["status"] == status)
              for status, label in STATUS_LABEL.items()}
    # One trend = one backend and one tier, whatever the caller passed.
    rows = select(history, backend=doc["backend"], tier=doc["tier"])
    elapsed = (datetime.fromisoformat(doc["finished_at"])
               - datetime.fromisoformat(doc["started_at"])).total_seconds()
    return _environment().get_template("report.html.j2").render(
        doc=doc,
        title=headline(doc),
        subtitle=headline(doc).split(" · ", 1)[-1],
        outcome=outcome(doc),
        show_decision=doc["decision"] is not None or doc["kind"] in DECIDING_KINDS,
        decision=decision_record(doc),
        counts={k: v for k, v in counts.items() if v},
        checks=checks,
        measurements=[_measurement(m, names) for m in doc["measurements"]],
        history=rows,
        history_table=list(zip(rows, trend_columns(rows), strict=True)),
        rto_names=RTO_NAMES,
        trend=Markup(trend_svg(rows, doc["run_id"])) if has_trend(rows) else None,
        run_duration=seconds(elapsed) if elapsed >= 0 else "",
        stop=stop_lines(doc),
        # A drill's acceptance is both RTOs met: say so when one was never measured.
        unmeasured=[n for n in RTO_NAMES if n not in {m["name"] for m in doc["measurements"]}]
        if doc["kind"] == "drill" else [],
    )
