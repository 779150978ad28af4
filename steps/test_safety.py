"""Binds features/safety/naming_reality.feature (the workflow contract is bound by
test_workflows.py: it reads files only and needs no world)."""

import pytest
from pytest_bdd import scenarios

# The world is set up before the scenario starts, so its cost is not in the first step.
pytestmark = pytest.mark.usefixtures("world")

scenarios("safety/naming_reality.feature")
