"""Drill history: one JSON line per drill in ``reports/history.jsonl`` (date, run id, backend,
the measured application and data RTOs, verdict), so each quarterly drill can be compared with
the previous ones. Pure apart from the file it reads and appends to.

A row looks like::

    {"date": "2026-11-27T08:00:00.000Z", "run_id": "...", "backend": "sim", "simulated": true,
     "tier": "staging", "verdict": "pass",
     "rto": {"application RTO": {"seconds": 2.31, "target_seconds": 900.0, "met": true},
             "data RTO": null}}

``rto[name]`` is null when the drill recorded no measurement of that name (e.g. it stopped
before the restore). A drill that did not finish (verdict ``incomplete``: interrupted, or a
check that could not run) is marked ``"incomplete": true`` and never enters the RTO trend.
Appending is idempotent by run id: re-rendering a run never adds a row.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from harness.report.format import seconds, short_seconds
from harness.rto import RTO_NAMES

HISTORY_FILE = "history.jsonl"


class RtoPoint(TypedDict):
    seconds: float
    target_seconds: float | None
    met: bool


class HistoryRow(TypedDict):
    date: str
    run_id: str
    backend: str
    simulated: bool
    tier: str
    verdict: str
    rto: dict[str, RtoPoint | None]
    incomplete: NotRequired[bool]


_ROW_FIELDS: dict[str, type | tuple[type, ...]] = {
    "date": str, "run_id": str, "backend": str, "simulated": bool, "tier": str, "verdict": str,
    "rto": dict}


@dataclass(frozen=True)
class HistoryFile:
    """The rows of a history file, and what is wrong with the lines that are not rows."""

    rows: list[HistoryRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def in_trend(row: HistoryRow) -> bool:
    """Whether a row's RTOs are a result: never those of a drill that did not finish."""
    return not row.get("incomplete", False) and row["verdict"] != "incomplete"


def history_row(doc: Mapping[str, Any]) -> HistoryRow:
    """The history line of one evidence document (the last measurement of each RTO name)."""
    rto: dict[str, RtoPoint | None] = {}
    for name in RTO_NAMES:
        found = [m for m in doc["measurements"] if m["name"] == name]
        rto[name] = (
            RtoPoint(seconds=found[-1]["seconds"], target_seconds=found[-1]["target_seconds"],
                     met=found[-1]["met"])
            if found else None
        )
    row = HistoryRow(date=doc["started_at"], run_id=doc["run_id"], backend=doc["backend"],
                     simulated=doc["simulated"], tier=doc["tier"], verdict=doc["verdict"],
                     rto=rto)
    if doc["verdict"] == "incomplete":
        row["incomplete"] = True
    return row


def load_history(reports_dir: Path) -> HistoryFile:
    """Every row of ``reports_dir/history.jsonl`` in file order, and one problem
    (``file:line: what``) per line that is not a row: not UTF-8, not JSON, a field missing
    or of the wrong type. Blank lines are ignored."""
    path = Path(reports_dir) / HISTORY_FILE
    if not path.is_file():
        return HistoryFile()
    found = HistoryFile()
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw.decode("utf-8"))
            problem = _row_problem(row)
        except UnicodeDecodeError:
            problem = "not UTF-8 text"
        except json.JSONDecodeError as exc:
            problem = f"not a JSON object ({exc.msg}; a run killed while writing it?)"
        if problem:
            found.problems.append(f"{path}:{number}: {problem}")
        else:
            found.rows.append(row)
    return found


def read_history(reports_dir: Path) -> list[HistoryRow]:
    """The rows of the history file, skipping lines that are not rows (``load_history``
    says which): a damaged line never stops a drill from writing its report."""
    return load_history(reports_dir).rows


def _row_problem(row: Any) -> str | None:
    if not isinstance(row, dict):
        return "not a JSON object"
    for key, kind in _ROW_FIELDS.items():
        if key not in row:
            return f"field '{key}' is missing"
        if not isinstance(row[key], kind):
            return f"field '{key}' is not a {getattr(kind, '__name__', kind)}"
    for name, point in row["rto"].items():
        if point is None:
            continue
        if not isinstance(point, dict) or not isinstance(point.get("met"), bool):
            return f"rto '{name}' is not an object with seconds, target_seconds and met"
        for key in ("seconds", "target_seconds"):
            value = point.get(key)
            if key == "target_seconds" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value) or value < 0:
                return f"rto '{name}' {key} is not a finite number of seconds >= 0"
    return None


def append_history(reports_dir: Path, doc: Mapping[str, Any]) -> bool:
    """Append the drill's row unless its run id is already there; return whether it wrote."""
    row = history_row(doc)
    if any(r["run_id"] == row["run_id"] for r in read_history(reports_dir)):
        return False
    path = Path(reports_dir) / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    # A run killed mid-write leaves a line without its newline: start on a fresh line.
    torn = path.is_file() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(("\n" if torn else "") + json.dumps(row, sort_keys=True) + "\n")
    return True


def history_until(rows: Iterable[HistoryRow], doc: Mapping[str, Any]) -> list[HistoryRow]:
    """The rows a report of ``doc`` shows: up to and including its own row, never a later
    drill, so re-rendering an old run reproduces the same page. A run with no row of its own
    (a gate, or a drill whose history was lost) shows the drills that started before it."""
    rows = list(rows)
    for index, row in enumerate(rows):
        if row["run_id"] == doc["run_id"]:
            return rows[: index + 1]
    return [r for r in rows if r["date"] <= doc["started_at"]]


def trend_columns(rows: Sequence[HistoryRow]) -> list[list[str]]:
    """The trend table as text cells (date, run, backend, one column per RTO, verdict)."""
    table = []
    for row in rows:
        cells = [row["date"][:16].replace("T", " "), row["run_id"], row["backend"]]
        for name in RTO_NAMES:
            if not in_trend(row):
                cells.append("- (incomplete run)")
                continue
            point = row["rto"].get(name)
            if point is None:
                cells.append("-")
                continue
            state = "met" if point["met"] else "BREACHED"
            target = point["target_seconds"]
            cells.append(f"{seconds(point['seconds'])} / "
                         f"{short_seconds(target) if target is not None else '-'} {state}")
        cells.append(row["verdict"].upper())
        table.append(cells)
    return table
