"""Promote as an operation, against the sim (moto accounts, sim apps, embedded PostgreSQL)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from unittest import mock

import pytest
from moto.core.exceptions import JsonRESTError
from moto.ecs.models import EC2ContainerServiceBackend

from harness import topology
from harness.backend.aws import AwsBackend
from harness.errors import ConfigError
from harness.evidence.journal import Journal
from harness.io.aws import ecr, rds
from harness.io.aws.calls import CallLog
from harness.io.aws.ecs import EcsService
from harness.promote import lock, promote
from harness.promote.inventory import inventory
from harness.promote.promote import PromoteRequest
from harness.rollback import recovery
from harness.world import World

# The sim's rollout latencies pass on a virtual clock: these tests are about what recovers,
# not how long it takes (tests/test_layer1.py measures that in real time).
pytestmark = pytest.mark.usefixtures("virtual_time")


@pytest.fixture
def prod(world: World) -> World:
    return world.with_prod_write(True)


@pytest.fixture
def request_(prod: World) -> PromoteRequest:
    return PromoteRequest(sha=promote.validated_sha(prod, "staging"), cycle="NQU-865 / cycle 12",
                          reason="smoke green; ticket NQU-900", signed_off_by="Joe")


def ecs(world: World) -> EcsService:
    return recovery.service(world, "prod")


@pytest.mark.sim_only
def test_the_standard_path_makes_exactly_the_planned_calls_and_records_the_decision(
        prod: World, request_: PromoteRequest) -> None:
    with pytest.raises(ConfigError, match="invapp-staging-app"):
        promote.make_plan(prod, replace(request_, sha="0" * 40))  # never built
    before = ecs(prod).current()
    untouched = inventory(prod)
    plan = promote.make_plan(prod, request_)
    assert inventory(prod) == untouched
    journal = Journal(kind="promote", backend="sim", topology="t", tier="prod")
    log = CallLog()
    with log.recording(prod, ["prod", "staging"], ("ecs", "ecr", "rds", "ssm")):
        result = promote.promote(prod, request_, journal=journal, plan=plan)
    assert result.verdict == "pass", [p for p in result.phases if p.status != "passed"]
    assert [p.name for p in result.phases] == [promote.LOCK, promote.SNAPSHOT, promote.IMAGE,
                                               promote.REGISTER, promote.SWAP]
    now = ecs(prod).current()
    assert now.number == before.number + 1 and now.sha == request_.sha
    assert ecs(prod).revision_numbers()[-1] == now.number
    image = ecr.find_image(prod, "prod", request_.sha)
    staging = ecr.find_image(prod, "staging", request_.sha)
    assert image and staging and image.digest == staging.digest and result.image and result.image.pushed
    snap = rds.describe_snapshot(prod, "prod", result.snapshot_id or "")
    assert snap and snap.status == "available" and snap.instance == "invapp-dev-postgres"
    assert re.fullmatch(r"invapp-dev-rds-\d{14}-pre-promote-nqu-865-cycle-12", snap.id)
    assert snap.tag("harness:reason") == "smoke green_ ticket NQU-900"  # sanitised
    assert snap.tag("harness:sha") == request_.sha and snap.tag("harness:signed-off-by") == "Joe"
    assert journal.decision is not None and journal.decision.snapshot_id == snap.id
    assert (journal.decision.cycle, journal.decision.sha, journal.decision.signed_off_by,
            journal.decision.verdict) == (request_.cycle, request_.sha, "Joe", "pass")
    assert [c.scenario for c in journal.checks] == [p.name for p in result.phases]
    assert journal.verdict == "pass" and journal.measurement(promote.PROMOTE_RTO) is not None
    swap = journal.measurement(promote.PROMOTE_RTO)
    assert swap is not None and swap.phases[0].name == "promote swap issued"
    assert swap.subject == now.label and swap.deadline_seconds == plan.settings.deadline_s
    wait = journal.measurement(promote.SNAPSHOT_WAIT)
    assert wait is not None and wait.target_seconds is None
    assert wait.deadline_seconds == prod.topology.rds_deadline
    assert lock.TierLock(prod, "prod", operation="x", reason="x").current() is None
    # The plan printed is the run made: same calls, same arguments, same order, same tiers.
    assert [(c.tier, c.service, c.operation, c.params) for c in log.writes] == \
        [(c.tier, c.service, c.operation, c.params) for c in plan.writes()]


@pytest.mark.sim_only
def test_a_throttled_swap_is_retried_one_revision_one_swap(prod: World, request_: PromoteRequest) -> None:
    before = ecs(prod).current()
    original = EC2ContainerServiceBackend.update_service
    attempts: list[str] = []

    def throttled(self: Any, *args: Any, **kwargs: Any) -> Any:
        if len(attempts) < 2:
            attempts.append("throttled")
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        attempts.append("applied")
        return original(self, *args, **kwargs)

    log = CallLog()
    with mock.patch.object(EC2ContainerServiceBackend, "update_service", throttled), \
            log.recording(prod, ["prod"], ("ecs",)):
        result = promote.promote(prod, request_)
    assert result.verdict == "pass", result.phases
    assert attempts == ["throttled", "throttled", "applied"]
    assert len(log.named("register_task_definition")) == 1
    assert ecs(prod).revision_numbers() == [*range(1, before.number + 2)]
    assert ecs(prod).current().number == before.number + 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("sha", "a9d10e5", "full 40-character"),
    ("sha", "A" * 40, "full 40-character"),
    ("reason", "  ", "needs a reason"),
    ("cycle", "", "needs a cycle"),
    ("tier", "staging", "onto itself"),
    ("tier", "dev", "no ECS service"),
])
def test_a_request_that_cannot_be_promoted_is_refused(field: str, value: str, message: str) -> None:
    offline = World(AwsBackend(topology.load()))  # the checks read the topology only
    req = PromoteRequest(sha="a" * 40, cycle="NQU-865", reason="r")
    promote.check_request(offline, req)
    with pytest.raises(ConfigError, match=message):
        promote.check_request(offline, replace(req, **{field: value}))
