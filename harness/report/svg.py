"""Pure inline-SVG builders for the HTML report: the timeline of one measured recovery and
the RTO trend across past drills. Text only, no I/O; every label is escaped.

Timeline scale: a recovery in the sim takes seconds while its target is 15 min or 1 h, and
on one linear axis the measured part would be a sliver. When the target is more than
``BREAK_RATIO`` times the measured span, the axis is broken: left of the break is to scale
(0 to a little past the last phase), the target sits just past the break, and the caption
states the ratio. Otherwise one linear axis shows both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import escape

from harness.report.format import short_seconds
from harness.report.history import HistoryRow, in_trend
from harness.report.outcome import gave_up
from harness.rto import RTO_NAMES

WIDTH = 760
BREAK_RATIO = 4.0
_LEFT, _RIGHT = 16.0, 744.0
_ROW = 18.0
_BREAK_AT = 0.80  # fraction of the plot width used by the to-scale part of a broken axis


def nice_step(span: float, ticks: int = 5) -> float:
    """A 1/2/2.5/5 x 10^k step giving about ``ticks`` intervals over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def time_step(span: float, ticks: int = 5) -> float:
    """``nice_step`` in the unit a reader counts in (seconds, minutes or hours), so ticks
    fall on 2 min or 15 min rather than 250 s."""
    unit = 3600.0 if span > 3 * 3600 else 60.0 if span > 180 else 1.0
    return nice_step(span / unit, ticks) * unit


def _f(x: float) -> str:
    return f"{x:.1f}"


def _text(x: float, y: float, label: str, cls: str, anchor: str = "start") -> str:
    return (f'<text x="{_f(x)}" y="{_f(y)}" class="{cls}" text-anchor="{anchor}">'
            f"{escape(label)}</text>")


class _Axis:
    """Maps seconds to x; optionally broken between ``scale_max`` and the target."""

    def __init__(self, span: float, target: float | None) -> None:
        self.target = target
        self.broken = target is not None and span > 0 and target > span * BREAK_RATIO
        if self.broken:
            self.scale_max = span * 1.08
            self.break_x = _LEFT + (_RIGHT - _LEFT) * _BREAK_AT
        else:
            self.scale_max = max(span, target or 0.0) * 1.05 or 1.0
            self.break_x = _RIGHT

    def x(self, seconds: float) -> float:
        if self.broken and self.target is not None and seconds >= self.target:
            return _RIGHT - 40
        seconds = min(max(seconds, 0.0), self.scale_max)
        return _LEFT + (self.break_x - _LEFT) * seconds / self.scale_max

    def ticks(self) -> list[float]:
        step = time_step(self.scale_max)
        count = int(self.scale_max / step + 1e-9)
        return [round(i * step, 6) for i in range(count + 1)]


def _deadline(m: Mapping[str, Any]) -> float | None:
    """The give-up deadline to draw: only for a measurement that ran into it, and only when it
    is not the target line itself."""
    deadline = m.get("deadline_seconds")
    if not gave_up(m) or deadline is None:
        return None
    target = m["target_seconds"]
    return None if target is not None and abs(deadline - target) <= 0.01 * target else deadline


def _span(m: Mapping[str, Any]) -> float:
    return float(max([m["seconds"], *(p["offset_s"] for p in m["phases"]),
                      _deadline(m) or 0.0]))


def drawable(m: Mapping[str, Any]) -> bool:
    """False when everything happened within one poll interval: a timeline of it would be
    all zero-width marks, and the caption says so instead."""
    return _span(m) >= float(m["resolution_seconds"])


def _target_label(m: Mapping[str, Any]) -> str:
    return "RTO target" if "RTO" in m["name"] else "target"


def timeline_caption(m: Mapping[str, Any]) -> str:
    """One sentence saying how to read the timeline (scale, target, deadline, resolution)."""
    measured, target = m["seconds"], m["target_seconds"]
    deadline = m.get("deadline_seconds")
    span = _span(m)
    if m["completed"]:
        state = ""
    elif gave_up(m) and deadline is not None:
        state = f" (did not complete: gave up at the {short_seconds(deadline)} deadline)"
    else:
        state = " (did not complete)"
    parts = [f"Measured {short_seconds(measured)}{state}"]
    if target is not None:
        share = 100 * measured / target if target else 0.0
        parts.append(f"{_target_label(m)} {short_seconds(target)} ({share:.2f} % of it used)")
    if deadline is not None and (target is None or abs(deadline - target) > 0.01 * target):
        parts.append(f"give-up deadline {short_seconds(deadline)}")
    parts.append(f"resolution {short_seconds(m['resolution_seconds'])} (poll interval)")
    text = "; ".join(parts) + "."
    if not drawable(m):
        return text + " It all happened within one poll interval: there is no timeline to draw."
    if _Axis(span, target).broken and target is not None:
        text += (f" The axis is broken: the target is {target / span:,.0f}× the measured span, "
                 "so the phases are drawn to scale left of the break and the target line "
                 "is placed just past it.")
    return text


def timeline_svg(m: Mapping[str, Any]) -> str:
    """Phases of one measurement as marks on a time axis, with the RTO target as a line."""
    phases = sorted(m["phases"], key=lambda p: p["offset_s"])
    measured, target = float(m["seconds"]), m["target_seconds"]
    deadline = _deadline(m)
    if deadline is None and not any(abs(p["offset_s"] - measured) <= m["resolution_seconds"] / 2
                                    for p in phases):
        # No phase marks where the clock stopped: mark it, so the bar's end is named.
        end = "measured end" if m["completed"] else "stopped, not recovered"
        phases.append({"name": end, "offset_s": measured})
    span = _span(m)
    axis = _Axis(span, target)
    top = 22.0
    axis_y = top + _ROW * (len(phases) + 1)
    height = axis_y + (54 if deadline is not None else 40)
    ok = "ok" if m["met"] else "bad"
    out = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} '
        f'{_f(height)}" width="100%" role="img" aria-label="{escape(m["name"])} timeline">',
        f"<title>{escape(m['name'])}: {escape(timeline_caption(m))}</title>",
    ]
    # Measured bar first so marks and labels draw over it.
    out.append(f'<rect class="bar {ok}" x="{_f(_LEFT)}" y="{_f(axis_y - 6)}" '
               f'width="{_f(max(axis.x(measured) - _LEFT, 1.5))}" height="12" rx="2"/>')
    out.append(f'<line class="axis" x1="{_f(_LEFT)}" y1="{_f(axis_y)}" '
               f'x2="{_f(axis.break_x)}" y2="{_f(axis_y)}"/>')
    for tick in axis.ticks():
        x = axis.x(tick)
        out.append(f'<line class="tick" x1="{_f(x)}" y1="{_f(axis_y + 6)}" x2="{_f(x)}" '
                   f'y2="{_f(axis_y + 10)}"/>')
        out.append(_text(x, axis_y + 22, short_seconds(tick), "ticklabel", "middle"))
    if axis.broken:
        bx = axis.break_x
        out.append(f'<path class="break" d="M{_f(bx + 4)} {_f(axis_y + 8)} l8 -16 '
                   f'M{_f(bx + 12)} {_f(axis_y + 8)} l8 -16"/>')
        out.append(f'<line class="axis" x1="{_f(bx + 24)}" y1="{_f(axis_y)}" '
                   f'x2="{_f(_RIGHT)}" y2="{_f(axis_y)}"/>')
    if target is not None:
        tx = axis.x(target)
        out.append(f'<line class="target" x1="{_f(tx)}" y1="{_f(top - 8)}" x2="{_f(tx)}" '
                   f'y2="{_f(axis_y + 10)}"/>')
        out.append(_text(tx - 4, top + 2, f"{_target_label(m)} {short_seconds(target)}",
                         "targetlabel", "end"))
        if axis.broken:
            out.append(_text(tx, axis_y + 22, short_seconds(target), "ticklabel", "middle"))
    if deadline is not None:
        dx = axis.x(deadline)
        out.append(f'<line class="deadline" x1="{_f(dx)}" y1="{_f(top - 8)}" x2="{_f(dx)}" '
                   f'y2="{_f(axis_y + 10)}"/>')
        # Under the tick labels, so it never collides with the target's label above.
        out.append(_text(dx, axis_y + 36, f"gave up: deadline {short_seconds(deadline)}",
                         "deadlinelabel", "end" if dx > (_LEFT + _RIGHT) / 2 else "start"))
    mid = (_LEFT + axis.break_x) / 2
    for row, phase in enumerate(phases, start=1):
        x = axis.x(phase["offset_s"])
        y = top + _ROW * row
        anchor, dx = ("end", -6.0) if x > mid else ("start", 6.0)
        out.append(f'<line class="leader" x1="{_f(x)}" y1="{_f(y)}" x2="{_f(x)}" '
                   f'y2="{_f(axis_y)}"/>')
        out.append(f'<circle class="mark" cx="{_f(x)}" cy="{_f(axis_y)}" r="4"/>')
        out.append(f'<circle class="pin" cx="{_f(x)}" cy="{_f(y - 4)}" r="2.5"/>')
        out.append(_text(x + dx, y, f"{phase['name']} · {short_seconds(phase['offset_s'])}",
                         "phase", anchor))
    out.append("</svg>")
    return "\n".join(out)


def has_trend(rows: Sequence[HistoryRow]) -> bool:
    """True when at least one finished drill measured an RTO (else a trend is empty)."""
    return any(point is not None for row in rows if in_trend(row) for point in row["rto"].values())


def trend_svg(rows: Sequence[HistoryRow], current_run_id: str | None = None) -> str:
    """One small panel per RTO (measured seconds per past drill, oldest left); the target is
    a line when it fits the panel's scale and a note when it is far above it. An RTO no
    drill measured gets one line of text instead of an empty panel. Drills that did not
    finish are left out: their times are not results."""
    rows = [r for r in rows if in_trend(r)]
    measured = {name: any(r["rto"].get(name) is not None for r in rows) for name in RTO_NAMES}
    heights = [_PANEL_H if measured[name] else _EMPTY_H for name in RTO_NAMES]
    out = [
        f'<svg class="trend" viewBox="0 0 {WIDTH} {_f(sum(heights))}" width="100%" '
        'role="img" aria-label="RTO trend across drills">',
        f"<title>Measured RTOs of the last {len(rows)} drills, oldest left</title>",
    ]
    y0 = 18.0
    for name, height in zip(RTO_NAMES, heights, strict=True):
        if measured[name]:
            out += _trend_panel(rows, name, y0, current_run_id)
        else:
            out.append(_text(8, y0, name, "paneltitle"))
            out.append(_text(8, y0 + 20, f"not measured by any of these {len(rows)} drill(s)",
                             "missing"))
        y0 += height
    out.append("</svg>")
    return "\n".join(out)


_PANEL_H, _EMPTY_H = 176.0, 50.0


def _trend_panel(rows: Sequence[HistoryRow], name: str, y0: float,
                 current_run_id: str | None) -> list[str]:
    left, right = 64.0, _RIGHT - 8
    y1 = y0 + _PANEL_H - 66
    n = len(rows)
    every = max(1, math.ceil(n / 8))

    def px(i: int) -> float:
        return (left + right) / 2 if n == 1 else left + (right - left) * i / (n - 1)

    points = [(i, r["rto"].get(name)) for i, r in enumerate(rows)]
    values = [p["seconds"] for _, p in points if p is not None]
    targets = sorted({p["target_seconds"] for _, p in points
                      if p is not None and p["target_seconds"] is not None})
    target = targets[-1] if targets else None
    top_value = max(values) or 1.0
    target_fits = target is not None and target <= top_value * BREAK_RATIO
    ymax = max(top_value, target if target_fits and target is not None else 0.0) * 1.15
    step = time_step(ymax, 4)
    ymax = step * math.ceil(ymax / step)

    def py(v: float) -> float:
        return y1 - (y1 - y0 - 14) * v / ymax

    out = [_text(8, y0 - 4, name, "paneltitle")]
    if target is not None:
        note = (f"target {short_seconds(target)}" if target_fits else
                f"target {short_seconds(target)}, off scale "
                f"({target / top_value:,.0f}× the highest measured)")
        out.append(_text(right, y0 - 4, note, "targetlabel", "end"))
        if target_fits:
            out.append(f'<line class="target" x1="{_f(left)}" y1="{_f(py(target))}" '
                       f'x2="{_f(right)}" y2="{_f(py(target))}"/>')
    out.append(f'<line class="axis" x1="{_f(left)}" y1="{_f(y1)}" x2="{_f(right)}" '
               f'y2="{_f(y1)}"/>')
    for k in range(round(ymax / step) + 1):
        v = k * step
        out.append(f'<line class="grid" x1="{_f(left)}" y1="{_f(py(v))}" x2="{_f(right)}" '
                   f'y2="{_f(py(v))}"/>')
        out.append(_text(left - 6, py(v) + 4, short_seconds(v), "ticklabel", "end"))
    segment: list[str] = []
    for i, point in points:
        if point is None:
            if len(segment) > 1:
                out.append(f'<polyline class="series" points="{" ".join(segment)}"/>')
            segment = []
            out.append(_text(px(i), y1 - 4, "–", "missing", "middle"))
            continue
        segment.append(f"{_f(px(i))},{_f(py(point['seconds']))}")
    if len(segment) > 1:
        out.append(f'<polyline class="series" points="{" ".join(segment)}"/>')
    for i, point in points:
        row = rows[i]
        # Every k-th date, the last one always, and none crowding the last one.
        if (i % every == 0 and n - 1 - i >= every) or i == n - 1:
            anchor = "middle" if n == 1 else "start" if i == 0 else "end" if i == n - 1 else "middle"
            out.append(_text(px(i), y1 + 16, row["date"][:10], "ticklabel", anchor))
        if point is None:
            continue
        x, y = px(i), py(point["seconds"])
        if row["run_id"] == current_run_id:
            out.append(f'<circle class="current" cx="{_f(x)}" cy="{_f(y)}" r="7"/>')
            out.append(_text(x, y - 11, short_seconds(point["seconds"]), "phase", "middle"))
        if row["verdict"] != "pass":
            # The run failed although this RTO may be met: a dashed ring marks the run.
            out.append(f'<circle class="runfail" cx="{_f(x)}" cy="{_f(y)}" r="6.5"/>')
        run = f" (run {row['verdict'].upper()})" if row["verdict"] != "pass" else ""
        out.append(f'<circle class="dot {"ok" if point["met"] else "bad"}" cx="{_f(x)}" '
                   f'cy="{_f(y)}" r="4"><title>{escape(row["run_id"])}: '
                   f'{escape(short_seconds(point["seconds"]))}{escape(run)}</title></circle>')
    return out
