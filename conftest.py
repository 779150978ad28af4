"""Registers the step modules for the test suite (pytest-bdd 9 binds scenarios in
steps/test_*.py; the step definitions are plugins, as in the CLI's own runs), and runs the
feature scenarios on the sim with a virtual clock: the sim's rollout latencies pass without
being waited for (the harness's own runs and the tests of its accuracy use real time)."""

import os
from collections.abc import Iterator

import pytest
from harness.steps import PLUGINS

from harness import clock
from harness.pytest.recorder import expected
from tests.helpers.virtual_clock import VirtualClock

pytest_plugins = [f"harness.steps.{name}" for name in PLUGINS]


def pytest_configure(config: pytest.Config) -> None:
    # A pytest-xdist worker is started with COLUMNS=80 and LINES=24 in its environment: the
    # harness honours COLUMNS, so its output would wrap at 80 there and nowhere else.
    if hasattr(config, "workerinput"):
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)


@pytest.fixture(autouse=True)
def _feature_time(request: pytest.FixtureRequest) -> Iterator[None]:
    scenario = expected(request.node) is not None
    if not scenario and request.node.path.parent.name == "steps":
        # pytest-bdd 9 no longer marked its scenarios with an attribute: the features ran on
        # real time unnoticed. A test in steps/ that is not recognised as a scenario fails.
        pytest.fail("not recognised as a pytest-bdd scenario: it would run on real time")
    if not scenario or request.config.getoption("--backend") != "sim" \
            or request.node.get_closest_marker("realtime"):
        yield
        return
    with clock.use(VirtualClock()):
        yield
