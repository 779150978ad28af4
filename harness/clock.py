"""Monotonic stopwatch, polling with an interval and a deadline, and Measurement records.

Every time the harness reports comes from the monotonic clock around the real operation;
the poll interval is recorded as the measurement's resolution. The clock is real time
(``time.monotonic``, ``time.sleep``) unless a rehearsal swaps it (``use``): the sim's own
applications read the same clock, so a test can let time pass without waiting for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from harness import interrupts

T = TypeVar("T")


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


_clock: Clock = SystemClock()


def monotonic() -> float:
    """Seconds on the clock every wait and measurement reads."""
    return _clock.monotonic()


def sleep(seconds: float) -> None:
    _clock.sleep(seconds)


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Every wait and measurement in this process reads ``clock`` until the block ends."""
    global _clock
    before, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = before


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Phase:
    """A named instant inside a measured operation, as seconds since its start."""

    name: str
    offset_s: float


@dataclass(frozen=True)
class Measurement:
    """A timed operation compared with its target (e.g. an RTO)."""

    name: str
    seconds: float
    target_seconds: float | None
    resolution_seconds: float
    started_at: datetime
    phases: tuple[Phase, ...] = ()
    completed: bool = True
    note: str = ""
    # When the wait would have given up (None: not a wait, or not recorded). A sim run gives
    # up long before the RTO target, so a report draws both lines.
    deadline_seconds: float | None = None
    # What recovered: the task-definition revision swapped to (family:N) or the instance
    # restored into, so an outcome can be told from the evidence alone.
    subject: str | None = None

    @property
    def met(self) -> bool:
        """Met = the operation completed and, when there is a target, within it."""
        if not self.completed:
            return False
        return self.target_seconds is None or self.seconds <= self.target_seconds

    def from_earlier(self, offset_s: float, started_at: datetime,
                     before: tuple[Phase, ...] = ()) -> Measurement:
        """This measurement timed from an earlier start, ``offset_s`` seconds before its own
        (``before``: the phases in between), e.g. a restore that followed a failed down."""
        return replace(
            self, seconds=round(self.seconds + offset_s, 4), started_at=started_at,
            phases=before + tuple(Phase(p.name, round(p.offset_s + offset_s, 4))
                                  for p in self.phases),
            deadline_seconds=(None if self.deadline_seconds is None
                              else self.deadline_seconds + offset_s))


class Stopwatch:
    """Starts at construction; ``mark`` records phases; ``measure`` freezes a Measurement."""

    def __init__(self) -> None:
        self.started_at = utcnow()
        self._t0 = monotonic()
        self._phases: list[Phase] = []

    def elapsed(self) -> float:
        return monotonic() - self._t0

    def mark(self, name: str, at: float | None = None) -> float:
        """Record phase ``name`` now, or at monotonic time ``at`` (seconds on ``monotonic``'s
        scale) when the instant was observed earlier."""
        offset = (at - self._t0) if at is not None else self.elapsed()
        self._phases.append(Phase(name, round(offset, 4)))
        return offset

    @property
    def phases(self) -> tuple[Phase, ...]:
        return tuple(self._phases)

    def measure(
        self,
        name: str,
        *,
        target_seconds: float | None,
        resolution_seconds: float,
        seconds: float | None = None,
        completed: bool = True,
        note: str = "",
        deadline_seconds: float | None = None,
        subject: str | None = None,
    ) -> Measurement:
        return Measurement(
            name=name,
            seconds=round(self.elapsed() if seconds is None else seconds, 4),
            target_seconds=target_seconds,
            resolution_seconds=resolution_seconds,
            started_at=self.started_at,
            phases=self.phases,
            completed=completed,
            note=note,
            deadline_seconds=deadline_seconds,
            subject=subject,
        )


@dataclass(frozen=True)
class PollOutcome(Generic[T]):
    succeeded: bool
    elapsed: float
    attempts: int
    last: T | None
    # Monotonic instant of the first successful probe (None when it never succeeded).
    succeeded_at: float | None = None
    history: tuple[T, ...] = field(default=(), repr=False)


# What a front (the CLI) is told while a wait goes on: (what is awaited, seconds elapsed,
# seconds until the wait gives up). A real restore waits 20+ minutes: silence looks hung.
Heartbeat = Callable[[str, float, float], None]
HEARTBEAT_EVERY_S = 30.0
_heartbeats: list[tuple[Heartbeat, float]] = []


@contextmanager
def heartbeat(beat: Heartbeat, every_s: float = HEARTBEAT_EVERY_S) -> Iterator[None]:
    """While inside, every wait (``poll_until``) longer than ``every_s`` calls ``beat``
    every ``every_s`` seconds."""
    _heartbeats.append((beat, every_s))
    try:
        yield
    finally:
        _heartbeats.remove((beat, every_s))


def poll_until(
    probe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    interval: float,
    deadline_s: float,
    on_attempt: Callable[[T, float], None] | None = None,
    sleep: Callable[[float], None] = sleep,
    what: str = "a wait",
) -> PollOutcome[T]:
    """Call ``probe`` every ``interval`` seconds until ``done(result)`` or the deadline.

    Never raises on a deadline: the caller decides what a miss means (e.g. RTO breached).
    ``what`` names the wait in the heartbeat lines (see ``heartbeat``). Each attempt is a
    safe point where a requested stop (``harness.interrupts``) is taken.
    """
    if interval <= 0 or deadline_s <= 0:
        raise ValueError("interval and deadline_s must be positive")
    t0 = monotonic()
    attempts = 0
    last: T | None = None
    beats = [(beat, every, t0 + every) for beat, every in _heartbeats]
    while True:
        interrupts.checkpoint()
        attempt_at = monotonic()
        last = probe()
        attempts += 1
        now = monotonic()
        if on_attempt is not None:
            on_attempt(last, now - t0)
        if done(last):
            return PollOutcome(True, now - t0, attempts, last, succeeded_at=attempt_at)
        if now - t0 >= deadline_s:
            return PollOutcome(False, now - t0, attempts, last)
        for i, (beat, every, due) in enumerate(beats):
            if now >= due:
                beat(what, now - t0, deadline_s - (now - t0))
                beats[i] = (beat, every, due + every * (1 + (now - due) // every))
        next_at = attempt_at + interval
        sleep(max(0.0, min(next_at, t0 + deadline_s) - monotonic()))
