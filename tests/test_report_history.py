"""Drill history: one row per drill, appended once, shown up to the rendered run only, and
`harness history` prints the trend table. Re-rendering a run reproduces its files."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

from report_support import fixture
from rich.console import Console

from harness.cli.report import register, run_history
from harness.evidence.writer import read_evidence
from harness.redact import Redactor
from harness.report.history import (
    HISTORY_FILE,
    append_history,
    history_row,
    history_until,
    load_history,
    read_history,
)
from harness.report.publish import write_run


def _drill(run_id: str, started: str, app: float, data: float | None) -> dict[str, Any]:
    doc = fixture("sim-drill")
    doc["run_id"], doc["started_at"] = run_id, started
    doc["measurements"][0]["seconds"] = app
    if data is None:
        doc["measurements"].pop()
    else:
        doc["measurements"][1]["seconds"] = data
    return doc


def test_history_row() -> None:
    row = history_row(fixture("sim-drill"))
    assert row["run_id"] == "20261127T080000Z-drill-a1b2" and row["verdict"] == "pass"
    assert row["date"] == "2026-11-27T08:00:00.000Z" and row["backend"] == "sim"
    assert row["rto"]["application RTO"] == {"seconds": 2.31, "target_seconds": 900.0, "met": True}
    assert row["rto"]["data RTO"] == {"seconds": 6.84, "target_seconds": 3600.0, "met": True}
    assert history_row(_drill("x", "2026-01-01T00:00:00Z", 1.0, None))["rto"]["data RTO"] is None


def test_append_is_once_per_run(tmp_path: Path) -> None:
    doc = fixture("sim-drill")
    assert append_history(tmp_path, doc) is True
    assert append_history(tmp_path, doc) is False
    assert len((tmp_path / HISTORY_FILE).read_text().splitlines()) == 1


def test_torn_lines_are_skipped(tmp_path: Path) -> None:
    append_history(tmp_path, fixture("aws-drill-failed"))
    with (tmp_path / HISTORY_FILE).open("a") as fh:
        fh.write('{"run_id": "torn", "da\n\n[1, 2]\n')
    append_history(tmp_path, fixture("sim-drill"))
    assert [r["run_id"] for r in read_history(tmp_path)] == [
        "20260820T143000Z-drill-9f3e", "20261127T080000Z-drill-a1b2"]
    problems = load_history(tmp_path).problems
    assert len(problems) == 2
    assert problems[0].startswith(f"{tmp_path / HISTORY_FILE}:2: not JSON")
    assert problems[1].startswith(f"{tmp_path / HISTORY_FILE}:4: not a JSON object but list")


def test_a_row_missing_a_field_is_named_and_never_stops_a_later_drill(tmp_path: Path) -> None:
    bad = history_row(fixture("aws-drill-failed"))
    del bad["tier"]  # type: ignore[misc]
    point = history_row(fixture("sim-drill"))
    point["run_id"] = "bad-point"
    point["rto"]["data RTO"] = {"seconds": "6.8", "target_seconds": 3600.0, "met": True}
    # A killed run left its line without a newline: the next row must not be glued to it.
    (tmp_path / HISTORY_FILE).write_text(json.dumps(bad) + "\n" + json.dumps(point) + "\n"
                                         + '{"run_id": "cut')
    run_dir = write_run(fixture("sim-drill"), tmp_path, Redactor())
    history = load_history(tmp_path)
    assert [r["run_id"] for r in history.rows] == ["20261127T080000Z-drill-a1b2"]
    assert [p.split(": ", 1)[0].rsplit(":", 1)[-1] for p in history.problems] == ["1", "2", "3"]
    assert "the row has no 'tier'" in history.problems[0]
    assert "rto 'data RTO' 'seconds' is str" in history.problems[1]
    assert "20261127T080000Z-drill-a1b2" in (run_dir / "report.html").read_text()
    out = _history_output(tmp_path)
    assert f"{HISTORY_FILE}:1: the row has no 'tier'" in out.replace("\n", "")


def test_a_report_shows_history_up_to_its_own_run() -> None:
    rows = [history_row(_drill(f"r{i}", f"2026-0{i}-01T00:00:00.000Z", i, i)) for i in (1, 2, 3)]
    assert [r["run_id"] for r in history_until(rows, {"run_id": "r2", "started_at": "x"})] == [
        "r1", "r2"]
    gate = {"run_id": "g", "started_at": "2026-02-15T00:00:00.000Z"}
    assert [r["run_id"] for r in history_until(rows, gate)] == ["r1", "r2"]


def _files(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run_dir.iterdir()) if p.is_file()}


def test_write_run_appends_drills_and_rerender_is_identical(tmp_path: Path) -> None:
    redactor = Redactor()
    first = write_run(_drill("d1", "2026-08-20T14:30:00.000Z", 3.2, 9.1), tmp_path, redactor)
    gate = write_run(fixture("gate"), tmp_path, redactor)
    assert [r["run_id"] for r in read_history(tmp_path)] == ["d1"]
    assert {"evidence.json", "summary.md", "junit.xml", "report.html"} <= set(_files(first))
    before = _files(first)
    second = write_run(fixture("sim-drill"), tmp_path, redactor)
    assert [r["run_id"] for r in read_history(tmp_path)] == ["d1", "20261127T080000Z-drill-a1b2"]
    assert '<svg class="trend"' in (second / "report.html").read_text()
    assert "d1" in (second / "report.html").read_text()
    history_bytes = (tmp_path / HISTORY_FILE).read_bytes()

    # `harness report RUN_DIR` = write_run(read_evidence(RUN_DIR), RUN_DIR.parent, ...):
    # same bytes, no new history row, and a later drill does not leak into an older report.
    for run in (first, second, gate):
        expected = _files(run)
        write_run(read_evidence(run), run.parent, redactor)
        assert _files(run) == expected
    assert _files(first) == before
    assert "20261127T080000Z-drill-a1b2" not in (first / "report.html").read_text()
    assert (tmp_path / HISTORY_FILE).read_bytes() == history_bytes
    assert "Drill history" in (gate / "report.html").read_text()


def test_gate_runs_do_not_append(tmp_path: Path) -> None:
    write_run(fixture("gate"), tmp_path, Redactor())
    assert read_history(tmp_path) == []


def _history_output(reports: Path, *extra: str) -> str:
    parser = argparse.ArgumentParser(prog="harness")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["history", "--reports", str(reports), *extra])
    out = io.StringIO()
    assert args.handler(args, Console(file=out, width=200)) == 0
    return out.getvalue()


def test_history_command_prints_the_trend_table(tmp_path: Path) -> None:
    for i in range(1, 4):
        append_history(tmp_path, _drill(f"2026010{i}-drill-{i}", f"2026-01-0{i}T00:00:00.000Z",
                                        1.5 * i, 100.0 * i))
    append_history(tmp_path, fixture("aws-drill-failed"))
    text = _history_output(tmp_path)
    lines = [line for line in text.splitlines() if "drill-" in line]
    assert len(lines) == 4
    assert "1.50 s / 15 min met" in lines[0] and "1 min 40.0 s / 1 h met" in lines[0]
    assert "BREACHED" in lines[-1] and "FAIL ✗" in lines[-1]
    # One table per backend and tier; --last counts within each.
    assert "tier staging, backend sim (3 drills" in text and "tier staging, backend aws (1" in text
    assert text.index("backend sim (3") < text.index("20260103-drill-3") < text.index(
        "backend aws (1") < text.index("20260820T143000Z-drill-9f3e")
    assert len([x for x in _history_output(tmp_path, "--last", "2").splitlines()
                if "drill-" in x]) == 3
    only = _history_output(tmp_path, "--backend", "sim", "--tier", "staging", "--last", "2")
    assert [x.split("│")[2].strip() for x in only.splitlines() if "drill-" in x] == [
        "20260102-drill-2", "20260103-drill-3"]
    assert "no drill history for tier prod in" in _history_output(tmp_path, "--tier", "prod")


def test_history_command_without_history(tmp_path: Path) -> None:
    assert "no drill history" in _history_output(tmp_path)
    assert run_history(argparse.Namespace(reports=tmp_path, last=0, tier=None, backend=None),
                       Console(file=io.StringIO())) == 0


def test_history_lines_are_json(tmp_path: Path) -> None:
    append_history(tmp_path, fixture("sim-drill"))
    row = json.loads((tmp_path / HISTORY_FILE).read_text())
    assert set(row) == {"date", "run_id", "backend", "simulated", "tier", "verdict", "rto"}
