"""poll_until and Measurement: real monotonic time, deadline without exceptions."""

from __future__ import annotations

import time

from harness.clock import Stopwatch, poll_until


def test_poll_until_succeeds_and_reports_the_first_success() -> None:
    ready_at = time.monotonic() + 0.2
    out = poll_until(time.monotonic, lambda now: now >= ready_at, interval=0.02, deadline_s=5)
    assert out.succeeded and out.succeeded_at is not None
    assert 0.2 <= out.elapsed < 1.0
    assert out.attempts >= 5


def test_poll_until_deadline_is_an_outcome_not_an_exception() -> None:
    out = poll_until(lambda: 0, lambda v: v == 1, interval=0.05, deadline_s=0.2)
    assert not out.succeeded and out.last == 0 and out.succeeded_at is None
    assert 0.2 <= out.elapsed < 1.0


def test_measurement_met_needs_completion_and_target() -> None:
    sw = Stopwatch()
    assert sw.measure("x", target_seconds=10, resolution_seconds=0.1, seconds=5).met
    assert not sw.measure("x", target_seconds=10, resolution_seconds=0.1, seconds=11).met
    assert not sw.measure("x", target_seconds=10, resolution_seconds=0.1, seconds=1,
                          completed=False).met
