"""How the command line prints: as wide as ``COLUMNS`` says, else the terminal, else (piped
into a CI log, where nothing says how wide) 160 columns; and a heartbeat line on stderr
during every wait that lasts longer than ``HEARTBEAT_EVERY_S`` (a real snapshot restore
takes 20 minutes and more: a silent log looks hung)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from harness import clock

if TYPE_CHECKING:
    from rich.console import Console

PIPED_WIDTH = 160
HEARTBEAT_EVERY_S = clock.HEARTBEAT_EVERY_S


def width(environ: dict[str, str] | None = None, *, tty: bool | None = None) -> int | None:
    """The width to print at: ``COLUMNS`` when set, None (the terminal's own) on a
    terminal, ``PIPED_WIDTH`` otherwise."""
    columns = (os.environ if environ is None else environ).get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if (sys.stdout.isatty() if tty is None else tty) else PIPED_WIDTH


def console(*, stderr: bool = False) -> Console:
    """Markup and emoji codes off: text carrying data (names, errors, plans, ARNs) prints as
    written; styles are applied with Text objects."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, markup=False, emoji=False, width=width())


def heartbeat_line(what: str, elapsed_s: float, left_s: float) -> str:
    from harness.report.format import seconds  # the report package loads only when a wait runs

    return (f"  ... still waiting for {what}: {seconds(elapsed_s)} so far, "
            f"gives up in {seconds(max(0.0, left_s))}")


@contextmanager
def heartbeats(every_s: float | None = None) -> Iterator[None]:
    """Print a heartbeat line for every long wait while inside. Written to a copy of the
    stderr descriptor, so it also reaches the log while pytest captures a drill's output."""
    try:
        stream = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8")
    except (OSError, ValueError):  # no real stderr (an embedding host): print nothing
        yield
        return

    def beat(what: str, elapsed_s: float, left_s: float) -> None:
        stream.write(heartbeat_line(what, elapsed_s, left_s) + "\n")

    try:
        with clock.heartbeat(beat, HEARTBEAT_EVERY_S if every_s is None else every_s):
            yield
    finally:
        stream.close()
