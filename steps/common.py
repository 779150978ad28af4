"""Steps shared by every domain: the world and the topology."""

from __future__ import annotations

from pytest_bdd import given

from harness.topology import Topology
from harness.world import World


@given("the runbook topology", target_fixture="topology")
def the_runbook_topology(world: World) -> Topology:
    return world.topology
