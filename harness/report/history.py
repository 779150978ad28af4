"""Drill history: one JSON line per drill in ``reports/history.jsonl`` (date, run id, backend,
the measured application and data RTOs, verdict), so each quarterly drill can be compared with
the previous ones. Pure apart from the file it reads and appends to.

A row looks like::

    {"date": "2026-11-27T08:00:00.000Z", "run_id": "...", "backend": "sim", "simulated": true,
     "tier": "staging", "verdict": "pass",
     "rto": {"application RTO": {"seconds": 2.31, "target_seconds": 900.0, "met": true},
             "data RTO": null}}

``rto[name]`` is null when the drill recorded no measurement of that name (e.g. it stopped
before the restore). Appending is idempotent by run id: re-rendering a run never adds a row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

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
    return HistoryRow(date=doc["started_at"], run_id=doc["run_id"], backend=doc["backend"],
                      simulated=doc["simulated"], tier=doc["tier"], verdict=doc["verdict"],
                      rto=rto)


def read_history(reports_dir: Path) -> list[HistoryRow]:
    """Every row of ``reports_dir/history.jsonl`` in file order; blank or torn lines (a run
    killed mid-write) are skipped rather than failing the report."""
    path = Path(reports_dir) / HISTORY_FILE
    if not path.is_file():
        return []
    rows: list[HistoryRow] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and {"run_id", "date", "rto"} <= row.keys():
            rows.append(row)  # type: ignore[arg-type]
    return rows


def append_history(reports_dir: Path, doc: Mapping[str, Any]) -> bool:
    """Append the drill's row unless its run id is already there; return whether it wrote."""
    row = history_row(doc)
    if any(r["run_id"] == row["run_id"] for r in read_history(reports_dir)):
        return False
    path = Path(reports_dir) / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, sort_keys=True) + "\n")
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
