"""Steps for features/promote: the promotion as an operation (in the sim, or on accounts
where production writes were explicitly allowed)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import pytest
from pytest_bdd import given, parsers, then, when

from harness.errors import GuardRefusal
from harness.evidence.journal import CheckRecord
from harness.io.aws import ecr, rds
from harness.io.aws.calls import CallLog
from harness.io.aws.ecs import EcsService, Revision
from harness.io.http.health import HealthClient
from harness.promote import promote
from harness.promote.inventory import inventory
from harness.promote.lock import LockHeld, TierLock
from harness.promote.promote import PromoteRequest, PromoteResult
from harness.rollback import layer1 as rollback
from harness.rollback import recovery
from harness.runconfig import RunConfig
from harness.world import World

REASON = "cycle smoke green (feature run)"


@dataclass(frozen=True)
class Promotion:
    result: PromoteResult
    calls: CallLog


def run_promotion(world: World, req: PromoteRequest, check: CheckRecord) -> Promotion:
    log = CallLog()
    with log.recording(world, ["prod", "staging"], ("ecs", "ecr", "rds", "ssm")):
        result = promote.promote(world, req)
    check.attach("promotion phases", "table", [
        {"phase": p.name, "status": p.status, "seconds": round(p.duration_s, 3),
         "detail": p.error or p.detail} for p in result.phases])
    check.note(result.summary())
    return Promotion(result, log)


@pytest.fixture
def prod_world(world: World, run_config: RunConfig) -> World:
    """Production with writes allowed: in the sim, or where the run allows production writes
    explicitly (--allow-prod-write; e.g. against an AWS stand-in)."""
    if world.rehearsal is None and not run_config.allow_prod_write:
        pytest.skip("promotion scenarios write to production: they run in the sim, or with "
                    "--allow-prod-write")
    return world.with_prod_write(True)


def service(world: World) -> EcsService:
    return recovery.service(world, "prod")


@given("staging runs a validated build", target_fixture="sha")
def validated_build(prod_world: World, check: CheckRecord) -> str:
    sha = promote.validated_sha(prod_world, "staging")
    check.note(f"validated build {sha}; production runs {service(prod_world).current().label}")
    return sha


@given("production's registry already holds that build's image")
def image_in_prod(prod_world: World, sha: str) -> None:
    ecr.ensure_image(prod_world, ecr.plan_image(prod_world, target="prod", source="staging", sha=sha))


@given("that build fails its deep health on production")
def build_fails_on_prod(world: World, sha: str) -> None:
    if world.rehearsal is None:
        pytest.skip("breaking a build on purpose needs a rehearsal world (the sim)")
    world.rehearsal.break_build("prod", sha)


@given("production is reached with staging's credentials", target_fixture="prod_world")
def prod_with_staging_credentials(prod_world: World) -> World:
    misrouted = replace(prod_world.tier("prod"), role_arn=prod_world.tier("staging").role_arn)
    topology = replace(prod_world.topology, tiers={**prod_world.topology.tiers, "prod": misrouted})
    return World(prod_world.backend, allow_prod_write=True, topology=topology)


@given(parsers.parse('a promotion by "{owner}" holds production\'s lock'), target_fixture="running_before")
def promotion_holds_lock(prod_world: World, owner: str, request: pytest.FixtureRequest) -> Revision:
    lock = TierLock(prod_world, "prod", operation="promote", reason="NQU-871", owner=owner)
    lock.acquire()
    request.addfinalizer(lock.release)  # a world that is not reset keeps no stray lock
    return service(prod_world).current()


@given("the contents of both accounts are recorded", target_fixture="accounts_before")
def accounts_recorded(world: World) -> bytes:
    return inventory(world)


@when(parsers.parse('it is promoted to production for cycle "{cycle}" signed off by "{signer}"'),
      target_fixture="promotion")
def promoted(prod_world: World, sha: str, cycle: str, signer: str, check: CheckRecord) -> Promotion:
    return run_promotion(prod_world, PromoteRequest(sha, cycle, REASON, signer), check)


@when("two promotions of that build start at the same moment", target_fixture="promotions")
def two_promotions(prod_world: World, sha: str, check: CheckRecord) -> list[PromoteResult]:
    return promote_concurrently(prod_world, PromoteRequest(sha, "NQU-868", REASON, "Joe"), 2)


@when("the promotion is planned", target_fixture="plan")
def planned(prod_world: World, sha: str, check: CheckRecord) -> promote.PromotePlan:
    plan = promote.make_plan(prod_world, PromoteRequest(sha, "NQU-869", REASON, "Joe"))
    check.attach("plan", "text", "\n".join(plan.lines()))
    return plan


@when("a promotion to production is attempted", target_fixture="refusal")
def attempted(prod_world: World, sha: str) -> GuardRefusal:
    with pytest.raises(GuardRefusal) as caught:
        promote.promote(prod_world, PromoteRequest(sha, "NQU-870", REASON, "Joe"))
    return caught.value


@when("a rollback of production is requested", target_fixture="lock_refusal")
def rollback_requested(prod_world: World) -> LockHeld:
    with pytest.raises(LockHeld) as caught:
        rollback.revert(prod_world, "prod", reason="INC-12 checkout errors")
    return caught.value


@then(parsers.parse('it is refused naming "{holder}" and "{operation}"'))
def refused_naming_holder(lock_refusal: LockHeld, holder: str, operation: str, check: CheckRecord) -> None:
    check.note(lock_refusal.render())
    assert f"held by {holder} for {operation}" in str(lock_refusal), str(lock_refusal)


@then("production still runs the revision it ran before")
def still_runs(prod_world: World, running_before: Revision) -> None:
    assert service(prod_world).current().arn == running_before.arn


@then("the promotion passes")
def passes(promotion: Promotion) -> None:
    assert promotion.result.verdict == "pass", promotion.result.summary()


@then("a snapshot of the production database was taken first and is available")
def snapshot_first(prod_world: World, promotion: Promotion) -> None:
    snap = rds.describe_snapshot(prod_world, "prod", promotion.result.snapshot_id or "-")
    assert snap and snap.status == "available" and snap.instance == prod_world.tier("prod").db_instance
    order = [c.operation for c in promotion.calls.writes]
    assert order.index("create_db_snapshot") < order.index("register_task_definition") < order.index("update_service")


@then("production runs a new revision with that build's image, healthy on that build")
def runs_new_revision(prod_world: World, promotion: Promotion, sha: str) -> None:
    current, plan = service(prod_world).current(), promotion.result.plan
    assert current.number == plan.current.number + 1 and current.sha == sha, current.label
    assert HealthClient(prod_world.tier("prod")).read().running(sha)


@then(parsers.parse('the decision record names cycle "{cycle}", the build, the snapshot, signer "{signer}" and "{verdict}"'))
def decision_record(promotion: Promotion, sha: str, cycle: str, signer: str, verdict: str,
                    check: CheckRecord) -> None:
    d = promotion.result.decision()
    check.attach("decision record", "json", d.__dict__)
    assert (d.cycle, d.sha, d.signed_off_by, d.verdict) == (cycle, sha, signer, verdict), d
    assert d.snapshot_id and d.snapshot_id == promotion.result.snapshot_id


@then("no image was pushed to production's registry")
def nothing_pushed(promotion: Promotion) -> None:
    assert promotion.calls.named("put_image") == [], promotion.calls.named("put_image")
    assert promotion.result.image is not None and promotion.result.plan.image.action == "reuse"


@then(parsers.parse('the promotion fails at "{phase}"'))
def fails_at(promotion: Promotion, phase: str) -> None:
    failed = [p.name for p in promotion.result.phases if p.status == "failed"]
    assert promotion.result.verdict == "fail" and failed[:1] == [phase], promotion.result.phases


@then("the same run rolled production back to the previous revision and it is healthy")
def rolled_back(prod_world: World, promotion: Promotion) -> None:
    result = promotion.result
    assert result.rolled_back and result.phase(promote.ROLLBACK) is not None, result.summary()
    assert service(prod_world).current().arn == result.plan.current.arn
    assert HealthClient(prod_world.tier("prod")).read().running(result.plan.current.sha)


@then("the failed revision is no longer ACTIVE")
def failed_revision_retired(prod_world: World, promotion: Promotion) -> None:
    failed = promotion.result.revision
    assert failed is not None and promotion.result.phase(promote.RETIRE) is not None
    assert service(prod_world).describe(failed.arn).status == "INACTIVE", failed.label
    assert failed.number not in service(prod_world).revision_numbers()


@then("exactly one promotion runs and the other is refused naming the one holding the lock")
def one_runs(promotions: list[PromoteResult], check: CheckRecord) -> None:
    winners = [r for r in promotions if r.verdict == "pass"]
    losers = [r for r in promotions if r.phases and r.phases[0].status == "failed"]
    check.note("; ".join(r.summary() for r in promotions))
    assert len(winners) == len(losers) == 1, [r.phases for r in promotions]
    assert f"held by {winners[0].request.owner}" in (losers[0].phases[0].error or "")


@then("production has exactly one new revision")
def one_new_revision(prod_world: World, promotions: list[PromoteResult]) -> None:
    before = promotions[0].plan.current.number
    assert service(prod_world).revision_numbers()[-1] == before + 1


@then(parsers.parse('the plan lists "{operations}" in that order'))
def plan_lists(plan: promote.PromotePlan, operations: str, check: CheckRecord) -> None:
    expected = [o.strip() for o in operations.split(",")]
    if plan.image.action == "reuse":
        # An earlier promotion of this build (a world that is not reset) put the image there.
        check.note(f"no put_image: {plan.image.describe()}")
        expected.remove("put_image")
    assert [c.operation for c in plan.writes()] == expected


@then("nothing changed in either account")
def nothing_changed(world: World, accounts_before: bytes) -> None:
    assert inventory(world) == accounts_before, "an account's contents changed"


def promote_concurrently(world: World, req: PromoteRequest, runs: int) -> list[PromoteResult]:
    """Start ``runs`` promotions at one instant, each as its own machine (own sessions)."""
    start = threading.Barrier(runs)
    results: list[PromoteResult] = []

    def one(owner: str) -> None:
        machine = World(world.backend, allow_prod_write=True, topology=world.topology)
        mine = replace(req, owner=owner)
        plan = promote.make_plan(machine, mine)
        start.wait()
        results.append(promote.promote(machine, mine, plan=plan))

    threads = [threading.Thread(target=one, args=(f"machine-{i}",)) for i in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results
