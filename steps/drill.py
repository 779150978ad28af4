"""Steps for features/drill: the quarterly rollback drill."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pytest_bdd import given, then, when

from harness import guard, interrupts
from harness.clock import Stopwatch
from harness.drill.broken_image import TIME_TO_DETECT, BrokenImageDrill, Detection, record_detection
from harness.errors import CheckFailed
from harness.evidence.journal import CheckRecord, Journal
from harness.io.aws.ecs import EcsService
from harness.rollback import layer1 as rollback
from harness.rollback.recovery import ServiceRecovery, healthy_on_current
from harness.runconfig import RunConfig
from harness.topology import Tier
from harness.undo.summary import CleanupSummary
from harness.world import World

from .common import recorded


@given("the drill's target tier", target_fixture="tier")
def drill_target(world: World, run_config: RunConfig) -> Tier:
    return world.tier(run_config.tier)


@then("the tier accepts drills and is not production")
def accepts_drills(tier: Tier) -> None:
    guard.check_drill_target(tier)


@then("the caller's account is the tier's account")
def caller_matches(world: World, tier: Tier, check: CheckRecord) -> None:
    account = world.caller_account(tier.name)
    check.note(f"caller account {account}, tier {tier.name} account {tier.account_id}")
    assert account == tier.account_id, f"caller {account} != tier account {tier.account_id}"


@then("the tier's ECS cluster exists")
def cluster_exists(world: World, tier: Tier, check: CheckRecord) -> None:
    arn = EcsService(world, tier.name).cluster_arn()
    assert arn, f"cluster {tier.cluster} not found in account {tier.account_id}"
    check.link("ECS cluster", arn)


# --- steps 1 and 2: the broken image and the Layer-1 revert ---------------------------------

@pytest.fixture
def broken_image(world: World, run_config: RunConfig, journal: Journal,
                 check: CheckRecord) -> Iterator[BrokenImageDrill]:
    """What the drill registers on the target tier, undone afterwards pass or fail."""
    drill = BrokenImageDrill(world, run_config.tier, journal.run_id)
    yield drill
    with interrupts.undo(f"tier {run_config.tier}: drill {journal.run_id}'s broken task-definition "
                         "revision (and the service, if it still runs it)") as go:
        if go:
            with undo_of(check):
                cleaned_up(check, drill.cleanup())


@contextmanager
def undo_of(check: CheckRecord) -> Iterator[None]:
    """Around a finaliser's undo: its time is counted in the check's duration (the check's
    verdict waits for it) and said in its detail."""
    started = time.monotonic()
    try:
        yield
    finally:
        seconds = time.monotonic() - started
        check.note(f"cleanup: took {seconds:.2f} s, counted in this check's duration")
        check.add_undo_time(seconds)


def cleaned_up(check: CheckRecord, summary: CleanupSummary) -> None:
    """The finaliser's replay goes into the evidence; a tier left unclean fails the check."""
    for line in summary.lines():
        check.note(f"cleanup: {line}")
    if not summary.complete:
        why = (f"the drill's cleanup did not leave tier {summary.tier} verified clean: run "
               f"`harness cleanup --tier {summary.tier} --drill-id {summary.drill_id}`")
        check.status = "failed"
        check.error = f"{check.error}; then {why}" if check.error else why


@given("the drill's target tier is healthy on the revision it runs", target_fixture="tier")
def drill_target_healthy(world: World, run_config: RunConfig) -> Tier:
    healthy_on_current(world, run_config.tier)
    return world.tier(run_config.tier)


@when("a deliberately broken image is deployed to the tier", target_fixture="deployed")
def deploy_broken(broken_image: BrokenImageDrill) -> Stopwatch:
    return broken_image.deploy()


@then("the smoke gate fails on the broken image", target_fixture="detection")
def smoke_fails(broken_image: BrokenImageDrill, deployed: Stopwatch, journal: Journal,
                check: CheckRecord) -> Detection:
    detection = record_detection(broken_image.detect(deployed), journal, check)
    if not detection.caught:
        raise CheckFailed(f"the broken image was not caught: {detection.measurement.note}")
    return detection


@then("the time to detect is recorded")
def time_to_detect_recorded(journal: Journal, check: CheckRecord, detection: Detection) -> None:
    assert journal.measurement(TIME_TO_DETECT) is detection.measurement, "time to detect not in the journal"


@given("a deliberately broken image is live on the tier", target_fixture="detection")
def broken_live(broken_image: BrokenImageDrill) -> Detection:
    detection = broken_image.detect(broken_image.deploy())
    if not detection.caught:
        raise CheckFailed(f"the broken image never went live: {detection.measurement.note}")
    return detection


@when("the tier is reverted to the revision it ran before the broken deploy", target_fixture="recovery")
def revert_to_known_good(world: World, broken_image: BrokenImageDrill, journal: Journal,
                         check: CheckRecord) -> ServiceRecovery:
    good = broken_image.known_good
    assert good is not None, "the broken image was not deployed"
    return recorded(journal, check, rollback.revert(
        world, broken_image.tier, to_revision=good.number, reason=f"drill {journal.run_id} step 2"))

