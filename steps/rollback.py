"""Steps for features/rollback (and the drill's revert): Layer-1 application rollback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_bdd import given, parsers, then, when

from harness.errors import CheckFailed, ConfigError, GuardRefusal, HarnessError
from harness.evidence.journal import CheckRecord, Journal
from harness.io.aws.ecs import Revision
from harness.io.http.health import HealthClient
from harness.rollback import layer1 as rollback
from harness.rollback.recovery import ServiceRecovery, on_newest, service
from harness.undo.replay import replay
from harness.undo.store import UndoLog
from harness.undo.summary import ECS_KINDS, CleanupSummary
from harness.world import World

from .common import recorded
from .drill import cleaned_up, undo_of

REASON = "harness rollback feature"


class Rehearsal:
    """What a rollback scenario changes on a tier is recorded first and undone afterwards, so
    a real drill tier is left on the revision it ran (the sim is reset anyway)."""

    def __init__(self, world: World, run_id: str) -> None:
        self.world, self.run_id = world, run_id
        self.logs: dict[str, UndoLog] = {}

    def changing(self, tier: str) -> World:
        log = self.logs.setdefault(tier, UndoLog(self.world, tier, self.run_id, "rollback"))
        log.service(service(self.world, tier).current_arn())
        return self.world

    def undo(self) -> Iterator[CleanupSummary]:
        for tier in self.logs:
            yield replay(self.world, tier, self.run_id, kinds=ECS_KINDS)


@pytest.fixture
def rehearsal(world: World, journal: Journal, check: CheckRecord) -> Iterator[Rehearsal]:
    done = Rehearsal(world, journal.run_id)
    yield done
    with undo_of(check):
        for summary in done.undo():
            cleaned_up(check, summary)


@given(parsers.parse('tier "{tier}" runs its newest revision'), target_fixture="noted")
def runs_newest(rehearsal: Rehearsal, tier: str) -> Revision:
    return on_newest(rehearsal.changing(tier), tier)


@given(parsers.parse('the revision tier "{tier}" runs is noted'), target_fixture="noted")
def note_revision(world: World, tier: str) -> Revision:
    return service(world, tier).current()


@given(parsers.parse('a revision of tier "{tier}" that has been deregistered'), target_fixture="deregistered")
def deregistered_revision(world: World, tier: str) -> Revision:
    world.guard_write(tier, action="register and deregister a check revision")
    ecs = service(world, tier)
    revision = ecs.register_copy(ecs.current(), tags={"harness:purpose": "inactive-revision-check"})
    ecs.deregister(revision)
    return revision


@when(parsers.parse('tier "{tier}" is rolled back without naming a revision'), target_fixture="recovery")
def rolled_back_default(rehearsal: Rehearsal, journal: Journal, check: CheckRecord, tier: str) -> ServiceRecovery:
    return recorded(journal, check, rollback.revert(rehearsal.changing(tier), tier, reason=REASON))


@when(parsers.parse('tier "{tier}" is rolled back to its oldest ACTIVE revision, named by number'),
      target_fixture="recovery")
def rolled_back_oldest(rehearsal: Rehearsal, journal: Journal, check: CheckRecord, tier: str) -> ServiceRecovery:
    oldest = service(rehearsal.world, tier).revision_numbers()[0]
    return recorded(journal, check, rollback.revert(rehearsal.changing(tier), tier, to_revision=oldest, reason=REASON))


@when(parsers.parse('tier "{tier}" is rolled back to revision {number:d}'), target_fixture="refusal")
def rolled_back_to_number(world: World, tier: str, number: int) -> HarnessError:
    with pytest.raises(ConfigError) as caught:
        rollback.revert(world, tier, to_revision=number, reason=REASON)
    return caught.value


@when(parsers.parse('tier "{tier}" is rolled back to that deregistered revision'), target_fixture="refusal")
def rolled_back_to_deregistered(world: World, tier: str, deregistered: Revision) -> HarnessError:
    with pytest.raises(ConfigError) as caught:
        rollback.revert(world, tier, to_revision=deregistered.number, reason=REASON)
    return caught.value


@when(parsers.parse('tier "{tier}" is rolled back with its own credentials but without the explicit flag'),
      target_fixture="refusal")
def rolled_back_without_flag(world: World, tier: str) -> HarnessError:
    with pytest.raises(GuardRefusal) as caught:
        rollback.revert(world.with_prod_write(False), tier, reason=REASON)
    return caught.value


@when(parsers.parse('staging\'s credentials roll back tier "{tier}" with the explicit flag'),
      target_fixture="refusal")
def rolled_back_with_staging_credentials(world: World, tier: str) -> HarnessError:
    with pytest.raises(GuardRefusal) as caught:
        rollback.revert(world.with_prod_write(True), tier, reason=REASON, as_tier="staging")
    return caught.value


@then("the service runs the ACTIVE revision just below the one it ran")
def runs_previous(world: World, recovery: ServiceRecovery, noted: Revision) -> None:
    ecs = service(world, recovery.tier)
    below = [n for n in ecs.revision_numbers() if n < noted.number]
    running = ecs.current()
    assert below and running.number == below[-1], f"runs {running.label}; ACTIVE below {noted.label}: {below}"


@then("the service runs its oldest ACTIVE revision")
def runs_oldest(world: World, recovery: ServiceRecovery) -> None:
    ecs = service(world, recovery.tier)
    oldest, running = ecs.revision_numbers()[0], ecs.current()
    assert running.number == oldest, f"runs {running.label}, not {ecs.family}:{oldest}"


@then("the tier is healthy again on that revision's image")
def healthy_again(world: World, recovery: ServiceRecovery) -> None:
    if not recovery.recovered:
        raise CheckFailed(f"application RTO breached: {recovery.measurement.note}")
    now = HealthClient(world.tier(recovery.tier)).read()
    assert now.health.ok and now.sha == recovery.to_revision.sha, f"after recovery: {now.describe()}"


@then("the recovery is within the application RTO")
def within_rto(recovery: ServiceRecovery) -> None:
    m = recovery.measurement
    if not m.met:
        raise CheckFailed(f"application RTO breached: {m.seconds:.2f} s against a target of "
                          f"{m.target_seconds} s ({m.note})")


@then(parsers.parse('the rollback is refused with a message naming "{first}" and "{second}"'))
def refused_naming(refusal: HarnessError, check: CheckRecord, first: str, second: str) -> None:
    check.note(refusal.render())
    assert first in str(refusal) and second in str(refusal), str(refusal)


@then(parsers.parse('the rollback is refused with a message naming the deregistered revision and "{word}"'))
def refused_naming_deregistered(refusal: HarnessError, check: CheckRecord, deregistered: Revision,
                                word: str) -> None:
    check.note(refusal.render())
    assert deregistered.label in str(refusal) and word in str(refusal), str(refusal)


@then(parsers.parse('tier "{tier}" still runs the noted revision'))
def still_runs_noted(world: World, check: CheckRecord, tier: str, noted: Revision) -> None:
    running = service(world, tier).current()
    check.note(f"tier {tier} runs {running.label} (noted before: {noted.label})")
    assert running.arn == noted.arn, f"tier {tier} now runs {running.label}, not {noted.label}"

