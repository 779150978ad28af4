"""pytest plugin: command-line options, the fixtures the step modules use, and the
pytest-bdd hooks that record every step into the evidence journal. Wiring only."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "promotion & rollback verification harness")
    group.addoption("--backend", choices=("sim", "aws"), default="sim",
                    help="sim = moto + embedded PostgreSQL (default); aws = real accounts")
    group.addoption("--topology", default=None,
                    help="topology TOML file (default: the bundled runbook topology)")
    group.addoption("--tier", default="staging", help="tier the drill or gate acts on")
    group.addoption("--run-dir", default=None,
                    help="write evidence to this run folder (default: no evidence written)")
