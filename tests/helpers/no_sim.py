"""Proof that a run on the AWS path used no sim module and no moto: as a pytest plugin
(``-p tests.helpers.no_sim``) it fails the session when either was imported; run as
``python -m tests.helpers.no_sim ARGS...`` it runs ``harness ARGS...`` and exits 97 if so."""

from __future__ import annotations

import sys

import pytest

FORBIDDEN = ("harness.backend.sim", "moto")
EXIT_SIM_IMPORTED = 97


def imported() -> list[str]:
    return sorted(m for m in sys.modules
                  if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    found = imported()
    if found:
        sys.stderr.write(f"NO-SIM VIOLATION: imported {', '.join(found[:5])}\n")
        session.exitstatus = EXIT_SIM_IMPORTED


if __name__ == "__main__":
    from harness.cli.main import main

    code = main(sys.argv[1:])
    found = imported()
    if found:
        sys.stderr.write(f"NO-SIM VIOLATION: imported {', '.join(found[:5])}\n")
        sys.exit(EXIT_SIM_IMPORTED)
    sys.exit(code)
