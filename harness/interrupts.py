"""Stopping a run on SIGINT or SIGTERM without leaving a half-changed tier behind.

The first signal only asks the run to stop: ``checkpoint()`` raises :class:`Interrupted` at
the next safe point (before a step, an AWS call or a poll), never in the middle of one. The
undo the finalisers run (wrapped in ``undo(...)``) is shielded from that request and runs in
full. A second signal gives up on the undo: :class:`Abandoned` is raised at once, every undo
not yet done is skipped, and each one's label is kept in ``left()`` so the run can say what
``harness cleanup`` has to remove.

Signals are process-wide, so this module holds process-wide state; ``handling()`` installs
the handlers for one command and restores the previous ones afterwards.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_code(signum: int) -> int:
    """The shell's convention for "ended by signal N": 128 + N (130 SIGINT, 143 SIGTERM)."""
    return 128 + signum


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class Interrupted(KeyboardInterrupt):
    """Raised at a safe point after SIGINT or SIGTERM (a KeyboardInterrupt, so pytest and
    every ``finally`` treat it as an interrupt)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum)


class Abandoned(Interrupted):
    """A second signal: the undo in progress is given up, and every later one skipped."""


@dataclass
class _State:
    signum: int | None = None
    raised: bool = False
    abandoned: bool = False
    shields: int = 0
    left: list[str] = field(default_factory=list)
    undone: list[str] = field(default_factory=list)
    # The terminal's stderr as it was when the handlers were installed: pytest captures fd 2
    # while a check runs, and the user must see at once that the stop was heard.
    stderr_fd: int = 2


_state = _State()


def received() -> int | None:
    """The first signal received while ``handling()``, or None."""
    return _state.signum


def abandoned() -> bool:
    return _state.abandoned


def stopped() -> bool:
    """Whether the run was actually stopped (a checkpoint raised, or a second signal)."""
    return _state.raised or _state.abandoned


def left() -> list[str]:
    """What the skipped undo would have removed (labels given to ``undo``), in order."""
    return list(_state.left)


def undone() -> list[str]:
    """The undo labels that ran to completion after the run was interrupted."""
    return list(_state.undone)


def checkpoint() -> None:
    """A safe point: raise :class:`Interrupted` once if a stop was asked for, unless an undo
    is running (it must finish)."""
    if _state.signum is not None and not _state.raised and _state.shields == 0:
        _state.raised = True
        raise Interrupted(_state.signum)


@contextmanager
def shielded() -> Iterator[None]:
    """No checkpoint raises inside (a finaliser's undo runs whole); a second signal still
    stops it."""
    _state.shields += 1
    try:
        yield
    finally:
        _state.shields -= 1


@contextmanager
def undo(label: str) -> Iterator[bool]:
    """Wrap one finaliser's undo. ``label`` says what stays on the tier if it does not run
    (e.g. "drill 20261130T... on tier staging: the broken task-definition revision").

    Yields False when the run was abandoned before this undo: the caller skips its work. A
    second signal during the undo ends it; the label is recorded either way and the other
    finalisers go on (local clean-up, such as stopping the embedded PostgreSQL, still runs).
    """
    if _state.abandoned:
        _state.left.append(label)
        yield False
        return
    try:
        with shielded():
            yield True
    except Abandoned:
        _state.left.append(label)
        return
    if _state.signum is not None:
        _state.undone.append(label)


def undoable(label: str, work: Callable[[], object]) -> Callable[[], None]:
    """``work`` (a finaliser's undo) wrapped in ``undo(label)``, for ``addfinalizer``."""
    def run() -> None:
        with undo(label) as go:
            if go:
                work()
    return run


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.signum is None:
        _state.signum = signum
        _say(f"\n{signal_name(signum)}: stopping at the next safe point, then undoing what this "
             "run changed (press Ctrl-C again to skip the undo)\n")
        return
    if not _state.abandoned:
        _state.abandoned = True
        _say(f"\n{signal_name(signum)} again: skipping the undo; what it would have removed is "
             "listed at the end, for `harness cleanup`\n")
        raise Abandoned(_state.signum)


def _say(text: str) -> None:
    # os.write, not print: a handler may run in the middle of another write to stderr.
    with suppress(OSError):
        os.write(_state.stderr_fd, text.encode("utf-8", "replace"))


@contextmanager
def handling() -> Iterator[None]:
    """Install the SIGINT/SIGTERM handlers for one command (main thread only; elsewhere a
    no-op) and reset the state before and after."""
    global _state
    _state = _State()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    with suppress(OSError):
        _state.stderr_fd = os.dup(2)
    for s in SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if _state.stderr_fd != 2:
            os.close(_state.stderr_fd)
        _state = _State()
