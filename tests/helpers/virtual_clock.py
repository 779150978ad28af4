"""Time that passes only when something waits: the harness's clock for the tests whose sim
rollout latencies are not what they measure (``harness.clock.use``). A sleep moves the clock
forward at once; nothing else does, so a measured recovery comes out as the rollout latency
rounded up to the poll interval, exactly and at once, on a loaded machine too."""

from __future__ import annotations

import threading


class VirtualClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(seconds, 0.0)
