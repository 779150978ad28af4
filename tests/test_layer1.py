"""Layer-1 against the sim: measured RTO accuracy, throttled swaps, plans that change
nothing, a revert that never recovers, and the drill's broken image cleaned up."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from harness.backend.sim import SimBackend
from harness.backend.sim.backend import SIM_POLL_S
from harness.drill.broken_image import DRILL_TAG, BrokenImageDrill
from harness.errors import AwsOperationError
from harness.io.aws.calls import Backoff
from harness.io.aws.ecs import EcsService
from harness.io.http.health import HealthClient
from harness.rollback import layer1 as rollback
from harness.rollback.recovery import healthy_on_current, service, swap_and_verify
from harness.world import World


@pytest.fixture
def simworld(sim_backend: SimBackend) -> Iterator[SimBackend]:
    """The session's sim (one moto per process: a second one would share its state), with
    its knobs put back after the test."""
    options = sim_backend.options
    yield sim_backend
    sim_backend.reconfigure(options)


Sim = Callable[..., AbstractContextManager[World]]


@pytest.fixture
def sim(simworld: SimBackend) -> Sim:
    """A clean world with the given knobs, on the session's running sim."""
    @contextmanager
    def make(latency: float = 0.3, faults: frozenset[str] = frozenset()) -> Iterator[World]:
        simworld.reconfigure(replace(simworld.options, rollout_latency_s=latency, faults=faults))
        simworld.reset()
        yield World(simworld)
    return make


def state(world: World) -> dict[str, Any]:
    """Everything a revert could change, per AWS tier."""
    out = {}
    for name in ("staging", "prod"):
        ecs = service(world, name)
        out[name] = (ecs.current_arn(), ecs.revision_numbers("ACTIVE"), ecs.revision_numbers("INACTIVE"))
    return out


@pytest.mark.realtime
@pytest.mark.parametrize("latency", [0.4, 1.2])
def test_measured_rto_lies_within_the_latency_and_one_poll(latency: float, sim: Sim) -> None:
    # The lower bound holds on every run. The upper bound is a real-time claim, so one
    # scheduling hiccup on a loaded 2-core machine may push a single run over: the best of
    # three must be within it (a broken instrument misses on all three).
    seconds = []
    for _ in range(3):
        with sim(latency) as world:
            result = rollback.revert(world, "staging", reason="accuracy")
        m = result.measurement
        assert result.recovered and m.resolution_seconds == SIM_POLL_S
        assert latency <= m.seconds, m.phases
        seconds.append(m.seconds)
        if m.seconds <= latency + SIM_POLL_S + 0.05:
            break
    assert min(seconds) <= latency + SIM_POLL_S + 0.05, seconds
    names = [p.name for p in m.phases]
    assert names[:2] == ["revert issued", "ECS updated"]
    assert sorted(names[2:]) == ["3 healthy in a row", "deployment completed", "serving healthy"]
    assert m.subject == result.to_revision.label and m.deadline_seconds is not None
    assert [p.offset_s for p in m.phases] == sorted(p.offset_s for p in m.phases)
    # The old tasks drain for the deregistration delay after the new ones serve.
    offsets = {p.name: p.offset_s for p in m.phases}
    assert offsets["deployment completed"] >= offsets["serving healthy"]


@pytest.mark.realtime
def test_throttled_swap_is_retried_with_backoff_and_lands_exactly_once(sim: Sim) -> None:
    with sim(0.1) as world:
        client = world.client("staging", "ecs")
        throttles, executed, slept = [2], [], []

        def throttle(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
            if throttles[0] == 0:
                return None
            throttles[0] -= 1
            return (AWSResponse("https://ecs.us-east-1.amazonaws.com", 400, {}, None),
                    {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                     "ResponseMetadata": {"HTTPStatusCode": 400}})

        def landed(http_response: AWSResponse, **_: Any) -> None:
            if http_response.status_code == 200:
                executed.append(1)

        client.meta.events.register("before-call.ecs.UpdateService", throttle)
        client.meta.events.register("after-call.ecs.UpdateService", landed)
        ecs = EcsService(world, "staging", backoff=Backoff(0.2, 1.0, 5),
                         sleep=lambda s: (slept.append(s), time.sleep(s)))
        target = ecs.previous(ecs.current().number)
        result = swap_and_verify(world, "staging", target, ecs=ecs)
        assert service(world, "staging").current_arn() == target.arn
    assert result.recovered and result.swap.attempts == 3
    assert result.swap.throttled == ("ThrottlingException",) * 2
    assert slept == [0.2, 0.4] and len(executed) == 1
    # The clock runs from the revert call, so the throttled retries are part of the RTO.
    phases = {p.name: p.offset_s for p in result.measurement.phases}
    assert phases["ECS updated"] >= 0.6 and result.measurement.seconds >= 0.6 + 0.1
    assert "throttled 2 time(s) and retried" in result.measurement.note


def test_throttling_that_never_stops_is_an_error_naming_the_service(sim: Sim) -> None:
    with sim(0.1) as world:
        client = world.client("staging", "ecs")
        client.meta.events.register("before-call.ecs.UpdateService", lambda **_: (
            AWSResponse("https://ecs", 400, {}, None),
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
             "ResponseMetadata": {"HTTPStatusCode": 400}}))
        ecs = EcsService(world, "staging", backoff=Backoff(0.001, 0.01, 3))
        with pytest.raises(AwsOperationError, match="invapp-staging-app-service"):
            ecs.swap(ecs.previous(ecs.current().number))


def test_plan_lists_the_swap_and_changes_nothing(sim: Sim) -> None:
    with sim() as world:
        before = state(world)
        plan = rollback.plan(world, "staging", reason="rehearsal")
        assert state(world) == before
    assert [c.operation for c in plan.writes] == ["put_parameter", "update_service",
                                                  "delete_parameter"]
    assert plan.writes[1].params["taskDefinition"] == plan.target.arn
    assert all(not c.write for c in plan.reads)
    assert plan.target.number == plan.current.number - 1
    text = "\n".join(plan.lines())
    assert "update_service" in text and plan.target.arn in text and "rehearsal" in text


@pytest.mark.realtime
def test_never_recover_is_a_breach_within_the_deadline_and_the_drill_still_cleans_up(sim: Sim) -> None:
    with sim(0.1, frozenset({"never-recover"})) as world:
        drill = BrokenImageDrill(world, "staging", "drill-t1")
        assert drill.detect(drill.deploy()).caught
        assert drill.known_good is not None and drill.broken is not None
        t0 = time.monotonic()
        result = rollback.revert(world, "staging", to_revision=drill.known_good.number, reason="t")
        waited = time.monotonic() - t0
        drill.cleanup()
        broken = service(world, "staging").describe(drill.broken.arn)
    m = result.measurement
    deadline = world.topology.application_deadline
    assert not result.recovered and not m.met and not m.completed
    assert "deadline" in m.note and "invapp-staging-app:3" in m.note
    assert deadline <= waited < deadline + 1.0
    assert broken.status == "INACTIVE" and broken.tags[DRILL_TAG] == "drill-t1"


def test_broken_image_is_tagged_caught_and_removed_with_the_service_put_back(sim: Sim) -> None:
    with sim(0.2) as world:
        drill = BrokenImageDrill(world, "staging", "drill-t2")
        detection = drill.detect(drill.deploy())
        assert drill.broken is not None and drill.known_good is not None
        assert drill.broken.environment["HARNESS_DRILL_BREAK"] == "1"
        assert drill.broken.sha == drill.known_good.sha
        assert detection.caught and detection.smoke is not None
        assert detection.smoke.failure_kinds == ("unhealthy",)
        # Caught once the broken revision answers (after the rollout latency); the upper
        # bound only rules out "caught by the deadline instead of by the smoke gate".
        assert 0.2 <= detection.measurement.seconds < world.topology.application_deadline / 2
        done = drill.cleanup()
        ecs = service(world, "staging")
        assert ecs.current_arn() == drill.known_good.arn
        assert drill.broken.number in ecs.revision_numbers("INACTIVE")
        assert done.complete and drill.cleanup() is done, done.lines()
        text = "\n".join(done.lines())
        assert f"service: back on {drill.known_good.label}, verified healthy" in text
        assert f"task-definition revisions: deregistered {drill.broken.label}" in text
        assert healthy_on_current(world, "staging") == drill.known_good


def test_a_break_marker_the_application_ignores_is_reported_not_caught(sim: Sim) -> None:
    with sim(0.1) as world:
        staging = replace(world.tier("staging"), drill_break_env="MARKER_THE_APP_IGNORES=1")
        top = replace(world.topology, tiers=world.topology.tiers | {"staging": staging},
                      application_deadline_s=1.0)
        ignored = World(world.backend, topology=top)
        drill = BrokenImageDrill(ignored, "staging", "drill-t3")
        detection = drill.detect(drill.deploy())
        drill.cleanup()
    assert not detection.caught and not detection.measurement.completed
    assert "NOT caught" in detection.measurement.note


def test_revisions_sort_numerically_and_ignore_longer_families(sim: Sim) -> None:
    with sim() as world:
        ecs = service(world, "staging")
        base = ecs.current()
        for _ in range(9):
            ecs.register_copy(base, tags={"t": "1"})
        worker = dict(family="invapp-staging-app-worker", containerDefinitions=[
            {"name": "w", "image": "x:1", "memory": 128}])
        world.client("staging", "ecs").register_task_definition(**worker)
        assert ecs.revision_numbers() == list(range(1, 13))
        assert ecs.previous(12).number == 11 and ecs.previous(10).number == 9


@pytest.mark.realtime
def test_sim_app_follows_ecs_with_the_rollout_latency_and_requires_staging_auth(sim: Sim) -> None:
    with sim(0.5) as world:
        staging = HealthClient(world.tier("staging"))
        before = staging.read().sha
        ecs = service(world, "staging")
        target = ecs.previous(ecs.current().number)
        ecs.swap(target)
        assert staging.read().sha == before  # still the old revision
        time.sleep(0.55)
        assert staging.read().sha == target.sha
        anonymous = HealthClient(world.tier("staging"), env={
            "HARNESS_STAGING_BASIC_AUTH_USER": "sim-user", "HARNESS_STAGING_BASIC_AUTH_PASSWORD": "nope"})
        assert anonymous.deep_health().failure == "credentials-rejected"
        assert HealthClient(world.tier("prod")).deep_health().ok


def test_seeded_world_uses_full_arns_an_immutable_registry_and_resets_clean(simworld: SimBackend) -> None:
    simworld.reset()
    world = World(simworld)
    seeded = simworld.seeded["staging"]
    assert seeded.service_arn.startswith("arn:aws:ecs:us-east-1:961381384763:service/")
    assert all(a.startswith("arn:aws:ecs:") for a in seeded.task_definition_arns)
    repo = world.client("staging", "ecr").describe_repositories()["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    db = world.client("prod", "rds").describe_db_instances()["DBInstances"][0]
    assert db["DBInstanceIdentifier"] == "invapp-dev-postgres"
    first = state(world)
    ecs = service(world, "staging")
    ecs.swap(ecs.previous(ecs.current().number))
    simworld.reset()
    world = World(simworld)
    assert state(world) == first
    assert HealthClient(world.tier("staging")).read().sha == seeded.image_shas[-1]
