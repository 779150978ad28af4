"""Small pure formatting helpers shared by the renderers and the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STATUS_LABEL = {
    "passed": "PASS",
    "failed": "FAIL",
    "error": "ERROR",
    "skipped": "SKIP",
    "not_applicable": "N/A",
    "interrupted": "STOPPED",
    "not_run": "NOT RUN",
}


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if 0 < value < 0.01:
        return short_seconds(value)  # "4 ms", not "0.00 s"
    if value < 60:
        return f"{value:.2f} s"
    minutes, secs = divmod(value, 60)
    if minutes < 60:
        return f"{int(minutes)} min {secs:04.1f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


def short_seconds(value: float) -> str:
    """Compact duration for axis ticks, targets and labels: 5 ms, 0.25 s, 12 s, 75 min, 2 h.
    Below 0.1 s it counts milliseconds, so ticks 1 ms apart never all read "0 s"."""
    if 0 < value < 0.1:
        return f"{value * 1000:.1f}".rstrip("0").rstrip(".") + " ms"
    if value < 10:
        return f"{value:.2f}".rstrip("0").rstrip(".") + " s"
    if value < 60:
        return f"{value:.0f} s"
    hours = value / 3600
    if value >= 7200 or (value >= 3600 and abs(hours - round(hours)) < 0.005):
        return f"{hours:.0f} h" if abs(hours - round(hours)) < 0.05 else f"{hours:.1f} h"
    minutes = value / 60
    return f"{minutes:.0f} min" if abs(minutes - round(minutes)) < 0.05 else f"{minutes:.1f} min"


def measurement_line(m: dict[str, Any]) -> str:
    target = f" (target {seconds(m['target_seconds'])})" if m["target_seconds"] is not None else ""
    state = "met" if m["met"] else ("BREACHED" if m["completed"] else "BREACHED (did not complete)")
    return (f"{m['name']}: {seconds(m['seconds'])}{target}, {state}, "
            f"resolution {seconds(m['resolution_seconds'])}")


def did_not_pass(check: Mapping[str, Any]) -> bool:
    """A check that failed, errored, was stopped or never ran (not passed, skipped or N/A)."""
    return check["status"] not in ("passed", "not_applicable", "skipped")


def result_text(check: Mapping[str, Any]) -> str:
    """What a check's result says, complete: its error when it did not pass and has one, else
    its detail."""
    failed = did_not_pass(check) and check["error"]
    return ((check["error"] if failed else check["detail"]) or "").strip()


def first_line(text: str) -> tuple[str, int]:
    """The first line of ``text`` in full and how many lines follow it: a row shows the line,
    the detail below it shows everything, and nothing is cut mid-phrase."""
    lines = text.strip().splitlines()
    return (lines[0], len(lines) - 1) if lines else ("", 0)


def stop_lines(doc: Mapping[str, Any]) -> list[str]:
    """What a stopped run must say wherever it is shown: the signal, where it stopped, whether
    its undo ran, and what it left for `harness cleanup`."""
    stopped = doc.get("stopped")
    if not stopped:
        return []
    lines = [f"INCOMPLETE: stopped by {stopped['signal']} at {stopped['where']}"]
    if stopped["undo"] == "ran":
        lines.append("the undo ran: what this run changed was put back")
    else:
        lines.append("the undo was SKIPPED (second interrupt); left for `harness cleanup`:")
        lines += [f"  - {item}" for item in stopped["left"]] or ["  - (nothing recorded)"]
    return lines


def headline(doc: Mapping[str, Any]) -> str:
    checks = doc["checks"]
    green = sum(1 for c in checks if c["status"] == "passed")
    counted = sum(1 for c in checks if c["status"] != "not_applicable")
    label = doc["kind"].upper()
    sim = " [SIMULATED]" if doc["simulated"] else ""
    parts = [f"{label} {doc['verdict'].upper()}{sim}", f"tier {doc['tier']}"]
    if doc["cycle"]:
        parts.append(f"cycle {doc['cycle']}")
    if doc["sha"]:
        parts.append(f"sha {doc['sha'][:12]}")
    parts.append(f"{green}/{counted} green")
    return " · ".join(parts)
