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

A trend is only ever drawn within one backend and one tier: a sim rehearsal's seconds next
to a real restore's minutes, or staging next to another tier, would read as a trend that is
not there. A line that is not a well-formed row is skipped with a message naming it
(``history.jsonl:LINE``), so one bad line never stops a later drill or report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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


# Field -> accepted types, for a row read back from the file.
_ROW_FIELDS: dict[str, tuple[type, ...]] = {
    "date": (str,), "run_id": (str,), "backend": (str,), "simulated": (bool,), "tier": (str,),
    "verdict": (str,), "rto": (dict,),
}
_POINT_FIELDS: dict[str, tuple[type, ...]] = {
    "seconds": (int, float), "target_seconds": (int, float, type(None)), "met": (bool,),
}


@dataclass(frozen=True)
class History:
    """The rows of a history file that are well formed, and one message per line that is not."""

    rows: list[HistoryRow]
    problems: list[str]


def _row_problem(row: Any) -> str | None:
    """Why ``row`` is not a history row (None when it is one)."""
    if not isinstance(row, dict):
        return f"not a JSON object but {type(row).__name__}"
    for key, types in _ROW_FIELDS.items():
        if key not in row:
            return f"the row has no '{key}'"
        if not isinstance(row[key], types) or (bool not in types and isinstance(row[key], bool)):
            return f"'{key}' is {type(row[key]).__name__}, not {types[0].__name__}"
    for name, point in row["rto"].items():
        if point is None:
            continue
        if not isinstance(point, dict):
            return f"rto '{name}' is {type(point).__name__}, not an object or null"
        for key, types in _POINT_FIELDS.items():
            if key not in point:
                return f"rto '{name}' has no '{key}'"
            value = point[key]
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                return f"rto '{name}' '{key}' is {type(value).__name__}"
            if isinstance(value, int | float) and not isinstance(value, bool) \
                    and (not math.isfinite(value) or value < 0):
                return f"rto '{name}' '{key}' is not a finite number of seconds >= 0"
    return None


def load_history(reports_dir: Path) -> History:
    """Every well-formed row of ``reports_dir/history.jsonl`` in file order, and a message
    (file:line, what, fix) for each line skipped: torn (a run killed mid-write), not UTF-8,
    not JSON, or a row missing a field. Blank lines are ignored."""
    path = Path(reports_dir) / HISTORY_FILE
    if not path.is_file():
        return History([], [])
    rows: list[HistoryRow] = []
    problems: list[str] = []
    # Line by line from bytes: one line that is not UTF-8 must not hide the others.
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            problem: str | None = "not UTF-8 text"
        except json.JSONDecodeError as exc:
            problem = f"not JSON ({exc.msg}): a torn line from a killed run?"
        else:
            problem = _row_problem(row)
        if problem is None:
            rows.append(row)
        else:
            problems.append(f"{path}:{number}: {problem}; the line is skipped "
                            "(fix or delete it to see that drill in the trend)")
    return History(rows, problems)


def read_history(reports_dir: Path) -> list[HistoryRow]:
    """The well-formed rows of ``reports_dir/history.jsonl`` (see ``load_history``)."""
    return load_history(reports_dir).rows


def append_history(reports_dir: Path, doc: Mapping[str, Any]) -> bool:
    """Append the drill's row unless its run id is already there; return whether it wrote."""
    row = history_row(doc)
    if any(r["run_id"] == row["run_id"] for r in read_history(reports_dir)):
        return False
    path = Path(reports_dir) / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    # A torn last line (no newline) must not swallow this row.
    torn = path.is_file() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(("\n" if torn else "") + json.dumps(row, sort_keys=True) + "\n")
    return True


def series_key(row: Mapping[str, Any]) -> tuple[str, str]:
    """The one trend a row belongs to: (backend, tier)."""
    return str(row["backend"]), str(row["tier"])


def select(rows: Iterable[HistoryRow], *, backend: str | None = None,
           tier: str | None = None) -> list[HistoryRow]:
    return [r for r in rows if (backend is None or r["backend"] == backend)
            and (tier is None or r["tier"] == tier)]


def series(rows: Iterable[HistoryRow]) -> dict[tuple[str, str], list[HistoryRow]]:
    """Rows grouped by (backend, tier), each group in file order; groups in first-seen order."""
    groups: dict[tuple[str, str], list[HistoryRow]] = {}
    for row in rows:
        groups.setdefault(series_key(row), []).append(row)
    return groups


def history_until(rows: Iterable[HistoryRow], doc: Mapping[str, Any]) -> list[HistoryRow]:
    """The rows a report of ``doc`` may show: up to and including its own row, never a later
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
