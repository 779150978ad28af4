"""The stop protocol of harness.interrupts, with real signals sent to this process: the first
one is taken at the next safe point only, never inside an undo; a second one gives the undo
up and every label it skipped is kept for `harness cleanup`."""

from __future__ import annotations

import os
import signal

import pytest

from harness import interrupts
from harness.clock import poll_until


def test_the_first_signal_is_taken_at_the_next_safe_point_once() -> None:
    with interrupts.handling():
        interrupts.checkpoint()  # nothing asked yet
        os.kill(os.getpid(), signal.SIGINT)
        assert interrupts.received() == signal.SIGINT and not interrupts.stopped()
        with pytest.raises(interrupts.Interrupted) as stop:
            interrupts.checkpoint()
        assert stop.value.exit_code == 130 and interrupts.stopped()
        interrupts.checkpoint()  # raised once: the finalisers that follow are not cut short


def test_sigterm_exits_143() -> None:
    with interrupts.handling():
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(interrupts.Interrupted) as stop:
            interrupts.checkpoint()
    assert stop.value.exit_code == 143


def test_a_poll_is_a_safe_point() -> None:
    seen: list[int] = []

    def probe() -> int:
        seen.append(len(seen))
        if len(seen) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return len(seen)

    with interrupts.handling(), pytest.raises(interrupts.Interrupted):
        poll_until(probe, lambda n: n >= 10, interval=0.001, deadline_s=5)
    assert seen == [0, 1]  # stopped before the third attempt, not after the deadline


def test_an_undo_is_not_cut_short_by_the_first_signal() -> None:
    done: list[str] = []
    with interrupts.handling():
        with interrupts.undo("lock on staging") as go:
            assert go
            os.kill(os.getpid(), signal.SIGINT)
            interrupts.checkpoint()  # shielded: no stop here
            done.append("released")
        assert done == ["released"] and interrupts.undone() == ["lock on staging"]
        with pytest.raises(interrupts.Interrupted):
            interrupts.checkpoint()  # taken after the undo


def test_a_second_signal_abandons_the_undo_and_says_what_it_left() -> None:
    done: list[str] = []
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite runs in the background
    with interrupts.handling():
        os.kill(os.getpid(), signal.SIGINT)
        with interrupts.undo("restored instance of drill d1") as go:
            assert go
            os.kill(os.getpid(), signal.SIGINT)  # raises Abandoned here, inside the undo
            done.append("deleted")
        with interrupts.undo("tier lock of drill d1") as go:
            assert not go  # skipped: the run was abandoned
        assert interrupts.abandoned() and done == []
        assert interrupts.left() == ["restored instance of drill d1", "tier lock of drill d1"]
    assert signal.getsignal(signal.SIGINT) is before


def test_handlers_are_restored_and_state_reset() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with interrupts.handling():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before
    assert interrupts.received() is None
    interrupts.checkpoint()
