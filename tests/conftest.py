"""Fixtures for tests that need the sim's internals (the data plane) beside the World."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.sim.dataplane import DataPlane


@pytest.fixture
def dataplane(_world_session: Any, world: Any) -> Iterator[DataPlane]:
    """The data plane of the session's sim, on a world reset for this test; faults set by a
    test are cleared after it."""
    plane: DataPlane = _world_session.dataplane
    faults = plane.faults
    yield plane
    plane.faults = faults
