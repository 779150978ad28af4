"""Binds features/gate."""

import pytest
from pytest_bdd import scenarios

from harness.backend.base import Backend
from harness.pytest.plugin import fresh_world
from harness.runconfig import RunConfig
from harness.world import World

# The world is set up before the scenario starts, so its cost is not in the first step.
pytestmark = pytest.mark.usefixtures("world")


@pytest.fixture(scope="module")
def world(run_config: RunConfig, backend: Backend) -> World:
    """One world for every item of the gate: the gate evaluates one cycle's state and only
    reads it, so the items share the world instead of resetting it between them."""
    return fresh_world(run_config, backend)


scenarios("gate")
