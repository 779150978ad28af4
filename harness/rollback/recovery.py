"""Swap a tier's service to a revision and verify it recovers: the one path Layer-1 rollback,
the drill, promote, the repoint and cleanup share.

Every swap starts an ECS deployment (``forceNewDeployment``, so also when the revision does
not change) and remembers its id. Recovered = that deployment has replaced the old tasks
(PRIMARY, tasks running, rollout COMPLETED, no other deployment left) AND deep health is ok N
times in a row on the expected image (and database, for a repoint), counted only while the
deployment's tasks run (``harness.rollback.rollout``). The RTO runs from the swap call to the
first OK of that streak ("serving healthy": what users feel); "deployment completed" (what
``aws ecs wait services-stable`` says) is a phase of its own. The poll interval is the
resolution. Hitting the deadline yields a Measurement with ``completed=False`` (RTO
breached), never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.clock import Measurement, Stopwatch
from harness.errors import CheckFailed
from harness.io.aws.ecs import EcsService, Revision, Swap
from harness.io.http.health import HealthClient, short
from harness.report.format import seconds
from harness.rollback.rollout import (
    DEPLOYMENT_COMPLETED,
    SERVING_HEALTHY,
    Expected,
    RolloutOutcome,
    watch,
)
from harness.rto import APPLICATION_RTO
from harness.topology import Topology
from harness.world import World

REVERT_ISSUED = "revert issued"
# How long a precondition waits for a tier to become healthy before giving up: long enough
# for a rollout in progress, short of making an unhealthy tier look like a hung drill.
PRECONDITION_WAIT_S = 120.0


@dataclass(frozen=True)
class RecoverySettings:
    poll_s: float
    healthy_in_a_row: int
    deadline_s: float
    target_s: float | None

    @classmethod
    def application(cls, topology: Topology) -> RecoverySettings:
        return cls(topology.application_poll_s, topology.application_healthy_in_a_row,
                   topology.application_deadline, topology.application_rto_s)


@dataclass(frozen=True)
class ServiceRecovery:
    """The outcome of a swap + verify."""

    tier: str
    from_revision: Revision
    to_revision: Revision
    expected_sha: str | None
    swap: Swap
    measurement: Measurement
    polls: int
    last: str
    # Monotonic instants: serving healthy (the RTO's end) and deployment completed.
    serving_at: float | None = None
    completed_at: float | None = None

    @property
    def recovered(self) -> bool:
        return self.measurement.completed

    @property
    def deployment(self) -> str:
        return self.swap.deployment

    def summary(self) -> str:
        m = self.measurement
        head = (f"{self.tier}: {self.from_revision.label} -> {self.to_revision.label} "
                f"(image {short(self.expected_sha)}, deployment {self.deployment})")
        if not m.completed:
            return f"{head}: {m.name} breached: {m.note}"
        verdict = "met" if m.met else "breached"
        target = f" against a target of {seconds(m.target_seconds)}" if m.target_seconds else ""
        return f"{head}: recovered in {seconds(m.seconds)}{target} ({m.name} {verdict})"


def expected_for(world: World, tier: str, sha: str | None, database: str | None) -> Expected:
    return Expected(sha, database, world.tier(tier).deep_health_database_path)


def swap_and_verify(world: World, tier: str, target: Revision, *,
                    settings: RecoverySettings | None = None, name: str = APPLICATION_RTO,
                    expected_sha: str | None = None, expected_database: str | None = None,
                    as_tier: str | None = None, ecs: EcsService | None = None,
                    health: HealthClient | None = None,
                    issued: str = REVERT_ISSUED) -> ServiceRecovery:
    """Swap ``tier``'s service to ``target`` (a new deployment, also for the same revision)
    and poll until that deployment has recovered or the deadline.

    ``expected_sha`` defaults to the target revision's image tag; ``expected_database`` (a
    host) is checked where the tier's deep health reports its database. Writes pass the tier
    guard first (``as_tier`` names whose credentials act, default the tier's own). ``issued``
    names the swap call on the timeline (a promote's swap is not a revert).
    """
    settings = settings or RecoverySettings.application(world.topology)
    ecs = ecs or EcsService(world, tier, as_tier=as_tier)
    health = health or HealthClient(world.tier(tier))
    expected = expected_for(world, tier, expected_sha or target.sha, expected_database)
    world.guard_write(tier, as_tier=as_tier, action=f"swap {ecs.service} to {target.label}")
    before = ecs.current()

    watch_ = Stopwatch()
    watch_.mark(issued)
    swap = ecs.swap(target)
    watch_.mark("ECS updated")
    remaining = max(settings.deadline_s - watch_.elapsed(), settings.poll_s)
    outcome = watch(ecs, health, swap.deployment, expected, needed=settings.healthy_in_a_row,
                    interval_s=settings.poll_s, deadline_s=remaining,
                    what=f"tier {tier} healthy on {target.label}")
    throttled = (f"; the swap was throttled {len(swap.throttled)} time(s) and retried"
                 if swap.throttled else "")
    measurement = _measure(watch_, outcome, expected, target, settings, name, throttled)
    return ServiceRecovery(tier, before, target, expected.sha, swap, measurement, outcome.polls,
                           outcome.describe_last(expected), outcome.serving_at,
                           outcome.completed_at)


def _measure(stopwatch: Stopwatch, outcome: RolloutOutcome, expected: Expected, target: Revision,
             settings: RecoverySettings, name: str, throttled: str) -> Measurement:
    unchecked = ("" if expected.database is None or expected.database_path else
                 "; the database was NOT checked (the tier sets no deep_health_database_path)")
    if outcome.recovered:
        assert outcome.serving_at and outcome.completed_at and outcome.streak_at
        marks = sorted([(outcome.serving_at, SERVING_HEALTHY),
                        (outcome.streak_at, f"{settings.healthy_in_a_row} healthy in a row"),
                        (outcome.completed_at, DEPLOYMENT_COMPLETED)])
        offsets = {label: stopwatch.mark(label, at=at) for at, label in marks}
        note = (f"{target.label} healthy on {expected.describe()}, {settings.healthy_in_a_row} "
                f"OKs in a row polled every {settings.poll_s:g} s while deployment "
                f"{outcome.deployment} ran its tasks; deployment completed (old tasks gone) at "
                f"+{offsets[DEPLOYMENT_COMPLETED]:.2f} s{unchecked}{throttled}")
        return stopwatch.measure(name, seconds=offsets[SERVING_HEALTHY], note=note,
                                 target_seconds=settings.target_s,
                                 resolution_seconds=settings.poll_s,
                                 deadline_seconds=settings.deadline_s, subject=target.label)
    why = outcome.fatal or (f"not recovered on {target.label} ({expected.describe()}) after "
                            f"{stopwatch.elapsed():.1f} s, the deadline of {settings.deadline_s:g} s")
    return stopwatch.measure(name, completed=False, target_seconds=settings.target_s,
                             resolution_seconds=settings.poll_s,
                             deadline_seconds=settings.deadline_s, subject=target.label,
                             note=f"{why}; last: {outcome.describe_last(expected)}{unchecked}"
                                  f"{throttled}")


def service(world: World, tier: str, *, as_tier: str | None = None) -> EcsService:
    """The tier's ECS service, reached with ``as_tier``'s credentials (default its own)."""
    return EcsService(world, tier, as_tier=as_tier)


def healthy_on_current(world: World, tier: str) -> Revision:
    """The revision the tier runs, once its newest deployment has completed and the
    application is healthy on its image (polled for a while, so a rollout still in progress is
    waited for). A tier that does not get there is a failed precondition (CheckFailed naming
    what was seen)."""
    ecs = service(world, tier)
    current = ecs.current()
    primary = ecs.state().primary
    if primary is None:
        raise CheckFailed(f"ECS reports no PRIMARY deployment for tier {tier}'s service",
                          where=ecs.where, fix="check the service in the ECS console")
    settings = RecoverySettings.application(world.topology)
    expected = expected_for(world, tier, current.sha, None)
    outcome = watch(ecs, HealthClient(world.tier(tier)), primary.id, expected,
                    needed=settings.healthy_in_a_row, interval_s=settings.poll_s,
                    deadline_s=min(settings.deadline_s, PRECONDITION_WAIT_S),
                    what=f"tier {tier} healthy on {current.label}")
    if not outcome.recovered:
        raise CheckFailed(f"tier {tier} is not healthy on {current.label} with its deployment "
                          f"completed: {outcome.fatal or outcome.describe_last(expected)}",
                          fix="bring the tier back to health before drilling on it")
    return current


def on_newest(world: World, tier: str) -> Revision:
    """Make sure the tier runs its newest ACTIVE revision (swap + verify when it does not)."""
    ecs = service(world, tier)
    current = ecs.current()
    newest = ecs.revision_numbers()[-1]
    if current.number == newest:
        return current
    recovery = swap_and_verify(world, tier, ecs.describe(newest), ecs=ecs)
    if not recovery.recovered:
        raise CheckFailed(f"could not put tier {tier} on its newest revision: {recovery.summary()}")
    return recovery.to_revision
