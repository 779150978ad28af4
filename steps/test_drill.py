"""Binds features/drill."""

import pytest
from pytest_bdd import scenarios

# The world is set up before the scenario starts, so its cost is not in the first step.
pytestmark = pytest.mark.usefixtures("world")

scenarios("drill")
