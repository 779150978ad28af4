"""Binds features/gate."""

from typing import Any

import pytest
from pytest_bdd import scenarios

from harness.pytest.runconfig import RunConfig
from harness.world import World

# The world is set up before the scenario starts, so its cost is not in the first step.
pytestmark = pytest.mark.usefixtures("world")


@pytest.fixture(scope="module")
def world(run_config: RunConfig, _world_session: Any) -> World:
    """One world for every item of the gate: the gate evaluates one cycle's state and only
    reads it, so the items share the world instead of resetting it between them."""
    return run_config.world(_world_session)


scenarios("gate")
