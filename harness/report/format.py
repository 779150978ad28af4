"""Small pure formatting helpers shared by the renderers and the CLI."""

from __future__ import annotations

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
    if value < 60:
        return f"{value:.2f} s"
    minutes, secs = divmod(value, 60)
    if minutes < 60:
        return f"{int(minutes)} min {secs:04.1f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


def short_seconds(value: float) -> str:
    """Compact duration for axis ticks, targets and labels: 0.25 s, 12 s, 75 min, 2 h."""
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


def one_line(text: str | None, limit: int = 120) -> str:
    if not text:
        return ""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def check_result(check: dict[str, Any], limit: int = 120) -> str:
    """A check's one-line result: its error when it did not pass and has one, else its detail."""
    failed = check["status"] not in ("passed", "not_applicable", "skipped") and check["error"]
    return one_line(check["error"] if failed else check["detail"], limit)


def stop_lines(doc: dict[str, Any]) -> list[str]:
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


def headline(doc: dict[str, Any]) -> str:
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
