"""Publishing a run: its evidence written (``harness.evidence.writer``), the drill history
appended, every rendering written beside it, and ``reports/latest`` pointed at it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.evidence.writer import point_latest, write_evidence, write_text
from harness.redact import Redactor
from harness.report.history import append_history, history_until, read_history
from harness.report.renderings import render_all


def write_run(doc: dict[str, Any], reports_dir: Path, redactor: Redactor) -> Path:
    """Redact, validate and write the evidence and its renderings; return the run folder."""
    clean = write_evidence(doc, reports_dir, redactor)
    run_dir = Path(reports_dir) / str(clean["run_id"])
    if clean["kind"] == "drill":
        append_history(Path(reports_dir), clean)  # idempotent: a re-render adds no row
    write_renderings(clean, run_dir, redactor)
    point_latest(Path(reports_dir), run_dir)
    return run_dir


def write_renderings(doc: dict[str, Any], run_dir: Path, redactor: Redactor) -> list[Path]:
    """(Re)write every rendering of a validated evidence document into ``run_dir``."""
    # The history drawn is read from the reports folder, up to this run only, so a re-render
    # gives the same bytes however many drills ran since.
    history = history_until(read_history(Path(run_dir).resolve().parent), doc)
    written = []
    for name, text in render_all(doc, history).items():
        write_text(run_dir / name, redactor.text(text))
        written.append(run_dir / name)
    return written
