"""Timeline and trend SVG geometry: phases in order on the axis, the target readable even
when it is hundreds of times the measured time, labels escaped."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from report_support import fixture, tag_problems

from harness.report.format import short_seconds
from harness.report.history import history_row
from harness.report.svg import (
    BREAK_RATIO,
    drawable,
    nice_step,
    time_step,
    timeline_caption,
    timeline_svg,
    trend_svg,
)


def _m(seconds: float, target: float | None, phases: list[tuple[str, float]],
       completed: bool = True, deadline: float | None = None,
       name: str = "application RTO") -> dict[str, Any]:
    return {"name": name, "check": "c001", "seconds": seconds,
            "target_seconds": target, "met": completed and (target is None or seconds <= target),
            "completed": completed, "resolution_seconds": 0.25,
            "started_at": "2026-11-27T08:00:00.000Z",
            "phases": [{"name": n, "offset_s": o} for n, o in phases], "note": "",
            "deadline_seconds": deadline}


def _marks(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'<circle class="mark" cx="([\d.]+)"', svg)]


def _target_x(svg: str) -> float:
    found = re.search(r'<line class="target" x1="([\d.]+)"', svg)
    assert found, "no target line"
    return float(found.group(1))


def _bar_end(svg: str) -> float:
    found = re.search(r'<rect class="bar \w+" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    assert found, "no bar"
    return float(found.group(1)) + float(found.group(2))


PHASES = [("revert issued", 0.0), ("ECS updated", 0.04), ("first healthy", 1.82),
          ("3 healthy in a row", 2.31)]


def test_short_target_far_away_breaks_the_axis_and_keeps_phases_readable() -> None:
    svg = timeline_svg(_m(2.31, 900.0, PHASES))
    marks = _marks(svg)
    assert marks == sorted(marks) and len(marks) == 4
    assert 'class="break"' in svg
    # The measured part uses most of the width instead of 2.31/900 of it.
    assert marks[-1] - marks[0] > 400
    assert _target_x(svg) > marks[-1] + 40
    assert ">15 min</text>" in svg and "RTO target 15 min" in svg
    assert tag_problems(svg) == []


def test_comparable_target_shares_one_linear_axis() -> None:
    svg = timeline_svg(_m(600.0, 900.0, [("revert issued", 0.0), ("healthy", 600.0)]))
    assert 'class="break"' not in svg
    x0, x1 = _marks(svg)
    # Linear: the target sits at 900/600 of the measured distance from zero.
    assert abs((_target_x(svg) - x0) / (x1 - x0) - 1.5) < 0.01


def test_a_breach_draws_the_target_inside_the_bar() -> None:
    svg = timeline_svg(_m(1012.4, 900.0, [("revert issued", 0.0), ("healthy", 1012.4)]))
    assert _target_x(svg) < _bar_end(svg)
    assert 'class="bar bad"' in svg


def test_break_threshold() -> None:
    at = timeline_svg(_m(10.0, 10.0 * BREAK_RATIO, [("x", 10.0)]))
    past = timeline_svg(_m(10.0, 10.0 * BREAK_RATIO + 1, [("x", 10.0)]))
    assert 'class="break"' not in at and 'class="break"' in past


def test_the_clock_stop_is_named_when_no_phase_marks_it() -> None:
    svg = timeline_svg(_m(3601.0, 3600.0, [("restore called", 0.0)], completed=False))
    assert "stopped, not recovered · 1 h" in svg and len(_marks(svg)) == 2
    assert "measured end" not in timeline_svg(_m(2.31, 900.0, PHASES))


def _deadline_x(svg: str) -> float:
    found = re.search(r'<line class="deadline" x1="([\d.]+)"', svg)
    assert found, "no deadline line"
    return float(found.group(1))


def test_a_give_up_deadline_short_of_the_target_is_drawn() -> None:
    # The sim gives up after 8 s; the target stays 15 min, far right past the axis break.
    svg = timeline_svg(_m(8.03, 900.0, [("revert issued", 0.0), ("ECS updated", 0.04)],
                          completed=False, deadline=8.0))
    assert "gave up: deadline 8 s" in svg and 'class="break"' in svg
    assert _deadline_x(svg) == pytest.approx(_bar_end(svg), abs=5.0)  # a poll past it at most
    assert _deadline_x(svg) < _target_x(svg) - 40
    assert "stopped, not recovered" not in svg
    assert tag_problems(svg) == []
    # A recovery that completed, or a deadline that is the target itself, draws no extra line.
    assert 'class="deadline"' not in timeline_svg(_m(2.31, 900.0, PHASES, deadline=8.0))
    same = timeline_svg(_m(3601.0, 3600.0, [("restore called", 0.0)], completed=False,
                           deadline=3600.0))
    assert 'class="deadline"' not in same and 'class="target"' in same


def test_a_stop_before_the_deadline_is_not_called_giving_up() -> None:
    svg = timeline_svg(_m(12.0, 3600.0, [("restore called", 0.0), ("data verified", 12.0)],
                          completed=False, deadline=3600.0))
    assert "gave up" not in svg and 'class="deadline"' not in svg
    assert "gave up" not in timeline_caption(_m(12.0, 3600.0, [], completed=False,
                                                deadline=3600.0))


def test_only_an_rto_has_an_rto_target() -> None:
    assert "RTO target 15 min" in timeline_svg(_m(2.31, 900.0, PHASES))
    svg = timeline_svg(_m(2.0, 30.0, [("available", 2.0)], name="snapshot wait"))
    assert "RTO target" not in svg and ">target 30 s<" in svg


def test_everything_within_one_poll_has_no_timeline() -> None:
    tiny = _m(0.004, None, [("available", 0.0)], deadline=3600.0, name="snapshot available")
    assert not drawable(tiny) and drawable(_m(2.31, 900.0, PHASES))
    caption = timeline_caption(tiny)
    assert "within one poll interval" in caption and "4 ms" in caption
    assert "give-up deadline 1 h" in caption


def test_no_target_no_target_line() -> None:
    svg = timeline_svg(_m(5.0, None, [("a", 0.0), ("b", 5.0)]))
    assert 'class="target"' not in svg and 'class="break"' not in svg


def test_labels_are_escaped() -> None:
    svg = timeline_svg(_m(1.0, 900.0, [("<script>&", 1.0)]))
    assert "<script>" not in svg and "&lt;script&gt;&amp;" in svg


def test_ticks_fall_on_round_numbers_in_the_readers_unit() -> None:
    assert nice_step(2.5) == 0.5 and nice_step(100) == 20 and nice_step(0) == 1
    assert time_step(1063) == 300  # 5 min, not 250 s
    assert time_step(4 * 3600) == 3600
    labels = re.findall(r'class="ticklabel" text-anchor="middle">([^<]+)<',
                        timeline_svg(_m(1012.4, 900.0, [("h", 1012.4)])))
    assert labels[:4] == ["0 s", "5 min", "10 min", "15 min"]


def test_short_seconds() -> None:
    assert [short_seconds(v) for v in (0, 0.25, 2.31, 12, 900, 1012.4, 3600, 4500, 7200)] == [
        "0 s", "0.25 s", "2.31 s", "12 s", "15 min", "16.9 min", "1 h", "75 min", "2 h"]


def test_trend_has_a_point_per_measured_drill_and_marks_this_run() -> None:
    old = history_row(fixture("aws-drill-failed"))
    new = history_row(fixture("sim-drill"))
    gap = history_row(fixture("sim-drill"))
    gap["run_id"], gap["rto"]["data RTO"] = "gap", None
    svg = trend_svg([old, gap, new], new["run_id"])
    assert svg.count('class="dot ok"') == 3 and svg.count('class="dot bad"') == 2
    assert svg.count('class="current"') == 2
    assert svg.count('class="missing"') == 1
    assert tag_problems(svg) == []


def test_trend_states_a_target_far_above_the_measured_values() -> None:
    row = history_row(fixture("sim-drill"))
    svg = trend_svg([row], row["run_id"])
    assert "target 15 min, off scale (390× the highest measured)" in svg
    assert 'class="target"' not in svg
    breached = history_row(fixture("aws-drill-failed"))
    assert svg.count("<polyline") == 0
    assert 'class="target"' in trend_svg([breached, row], row["run_id"])


def test_an_rto_no_drill_measured_is_a_sentence_not_an_empty_panel() -> None:
    row = history_row(fixture("sim-drill"))
    row["rto"]["data RTO"] = None
    svg = trend_svg([row], row["run_id"])
    assert "not measured by any of these 1 drill(s)" in svg
    assert svg.count('class="paneltitle"') == 2 and svg.count('class="dot') == 1
    assert tag_problems(svg) == []


def test_trend_date_labels_do_not_crowd() -> None:
    base = history_row(fixture("sim-drill"))
    rows = []
    for i in range(20):
        row = history_row(fixture("sim-drill"))
        row["run_id"], row["date"] = f"r{i}", f"2026-01-{i + 1:02d}T00:00:00.000Z"
        rows.append(row)
    svg = trend_svg(rows, base["run_id"])
    panel = svg[: svg.index("data RTO")]
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="[\d.]+" class="ticklabel" '
                                       r'text-anchor="\w+">2026-', panel)]
    assert 5 <= len(xs) <= 9 and "2026-01-20" in panel
    assert min(b - a for a, b in itertools.pairwise(xs)) > 70


def test_degenerate_measurements_still_draw() -> None:
    for m in (_m(0.0, None, []), _m(0.0, 900.0, []), _m(3.0, 0.0, [("a", -1.0)]),
              _m(5.0, 900.0, [("same", 5.0), ("same", 5.0)])):
        svg = timeline_svg(m)
        assert tag_problems(svg) == [] and "nan" not in svg.lower() and "inf" not in svg
        assert len(_marks(svg)) >= 1
