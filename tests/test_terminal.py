"""The command line's terminal behaviour: a heartbeat during a long wait (and none during a
short one), the width (COLUMNS, else the terminal, else wide when piped), `--version`, and a
usage error reported with the usage of the (sub)command it was given to."""

from __future__ import annotations

import pytest

from harness import __version__, clock
from harness.cli import main as cli
from harness.cli import terminal


def test_a_long_wait_beats_and_names_what_it_waits_for() -> None:
    beats: list[tuple[str, float, float]] = []
    with clock.heartbeat(lambda *beat: beats.append(beat), every_s=0.05):
        # Done as soon as one beat came: the wait lasts as long as the first beat takes.
        outcome = clock.poll_until(lambda: None, lambda _: bool(beats), interval=0.01,
                                   deadline_s=30, what="the restored instance")
    assert outcome.succeeded
    (what, elapsed, left), = beats
    assert what == "the restored instance" and elapsed >= 0.05 and left == pytest.approx(
        30 - elapsed)
    line = terminal.heartbeat_line(what, 95.0, 3505.0)
    assert line == ("  ... still waiting for the restored instance: 1 min 35.0 s so far, "
                    "gives up in 58 min 25.0 s")


def test_a_wait_that_ends_at_once_does_not_beat() -> None:
    beats: list[tuple[str, float, float]] = []
    with clock.heartbeat(lambda *beat: beats.append(beat), every_s=0.05):
        clock.poll_until(lambda: True, bool, interval=0.01, deadline_s=30)
    assert beats == []


@pytest.mark.parametrize(("environ", "tty", "width"), [
    ({"COLUMNS": "97"}, False, 97),
    ({"COLUMNS": "97"}, True, 97),
    ({}, True, None),  # the terminal's own
    ({}, False, terminal.PIPED_WIDTH),
    ({"COLUMNS": "wide"}, False, terminal.PIPED_WIDTH),
    ({"COLUMNS": "0"}, False, terminal.PIPED_WIDTH),
])
def test_width(environ: dict[str, str], tty: bool, width: int | None) -> None:
    assert terminal.width(environ, tty=tty) == width


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"harness {__version__}"


@pytest.mark.parametrize(("argv", "usage"), [
    (["drill", "--bogus"], "usage: harness drill "),
    (["rollback", "--reason", "x", "--bogus"], "usage: harness rollback "),
    (["rollback", "data", "--reason", "x", "--migration", "1", "--bogus"],
     "usage: harness rollback data "),
    (["rollback", "data", "--reason", "x"], "usage: harness rollback data "),
])
def test_a_usage_error_shows_the_usage_of_the_command_given(
        argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage), err
    assert "Traceback" not in err
