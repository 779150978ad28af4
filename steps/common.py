"""Steps shared by every domain: the world and the topology."""

from __future__ import annotations

from pytest_bdd import given

from harness.evidence.journal import CheckRecord, Journal
from harness.rollback.recovery import ServiceRecovery
from harness.topology import Topology
from harness.world import World


@given("the runbook topology", target_fixture="topology")
def the_runbook_topology(world: World) -> Topology:
    return world.topology


def recorded(journal: Journal, check: CheckRecord, result: ServiceRecovery) -> ServiceRecovery:
    """Every revert's measurement goes into the evidence, whatever the Then steps say."""
    journal.record(result.measurement, check)
    check.note(result.summary())
    return result
