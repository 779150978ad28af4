"""Binds features/drill."""

import pytest
from pytest_bdd import scenarios

# The world is set up before the scenario starts, so its cost is not in the first step. The
# scenarios run on one pytest-xdist worker, in order: the acceptance scenario reads the
# recovery times the earlier ones recorded in the session's journal.
pytestmark = [pytest.mark.usefixtures("world"), pytest.mark.xdist_group("drill")]

scenarios("drill")
