"""Proof that a run on the AWS path used no sim module and no moto: as a pytest plugin
(``-p tests.helpers.no_sim``) it fails the session when either was imported; run as
``python -m tests.helpers.no_sim ARGS...`` it runs ``harness ARGS...`` and exits 97 if so.
``run_harness`` and ``run_features`` do the same in a warm worker (tests/standin.py), a
spawned process that never imported either, so the proof holds for every run it made.
(PYTEST_DONT_REWRITE: it asserts nothing, and is imported before pytest runs in the worker.)"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FORBIDDEN = ("harness.backend.sim", "moto")
EXIT_SIM_IMPORTED = 97
ROOT = Path(__file__).resolve().parents[2]


def imported() -> list[str]:
    return sorted(m for m in sys.modules
                  if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


def checked(code: int) -> int:
    """``code``, or 97 (said on stderr) when a sim module or moto was imported."""
    found = imported()
    if found:
        sys.stderr.write(f"NO-SIM VIOLATION: imported {', '.join(found[:5])}\n")
        return EXIT_SIM_IMPORTED
    return code


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.exitstatus = checked(session.exitstatus)


@contextlib.contextmanager
def _started(env: dict[str, str]) -> Iterator[None]:
    """As a process started in the repository with exactly ``env``."""
    from tests.cli_worker import environment

    with contextlib.chdir(ROOT), environment(env):
        yield


def warm_up() -> None:
    """The AWS path's imports, made while the stand-in starts rather than in the first run
    (anything forbidden among them fails every run after)."""
    import harness.backend.aws
    import harness.cli.cleanup
    import harness.cli.main
    import harness.cli.promote
    import harness.cli.rollback
    import harness.cli.runs
    import harness.pytest.session  # noqa: F401


def run_harness(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``harness ARGS`` in this (warm) process; exit 97 if a forbidden module is imported."""
    from harness.cli.main import main
    from tests.cli_worker import outcome

    def run() -> int:
        try:
            code = main(args)
        except SystemExit as exc:  # argparse's usage errors and --help: checked all the same
            code = exc.code if isinstance(exc.code, int) else 1
        return checked(code)

    return outcome(run, _started(env))


def run_features(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``pytest ARGS`` in this (warm) process; ARGS load this module as a plugin."""
    from tests.cli_worker import outcome

    return outcome(lambda: pytest.main(args), _started(env))


if __name__ == "__main__":
    from harness.cli.main import main

    sys.exit(checked(main(sys.argv[1:])))
