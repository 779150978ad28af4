"""Swap a tier's service to a revision and verify it recovers: the one path Layer-1 rollback,
the drill and promote share.

Recovered = deep health ok N times in a row AND the version endpoint reports the expected
image SHA. The RTO runs from the swap call to the first OK of the streak that completed;
the poll interval is the measurement's resolution. Hitting the deadline yields a
Measurement with ``completed=False`` (RTO breached), never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.clock import Measurement, Stopwatch, poll_until
from harness.errors import CheckFailed
from harness.io.aws.ecs import EcsService, Revision, Swap
from harness.io.http.health import HealthClient, Reading, short
from harness.report.format import seconds
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

    @property
    def recovered(self) -> bool:
        return self.measurement.completed

    def summary(self) -> str:
        m = self.measurement
        head = (f"{self.tier}: {self.from_revision.label} -> {self.to_revision.label} "
                f"(image {short(self.expected_sha)})")
        if not m.completed:
            return f"{head}: {m.name} breached: {m.note}"
        verdict = "met" if m.met else "breached"
        target = f" against a target of {seconds(m.target_seconds)}" if m.target_seconds else ""
        return f"{head}: recovered in {seconds(m.seconds)}{target} ({m.name} {verdict})"


class _Streak:
    """Consecutive readings that are healthy on the expected image."""

    def __init__(self, needed: int, expected_sha: str | None) -> None:
        self.needed = needed
        self.expected_sha = expected_sha
        self.count = 0
        self.first_at: float | None = None

    def feed(self, reading: Reading) -> Reading:
        if reading.running(self.expected_sha):
            if self.count == 0:
                self.first_at = reading.at
            self.count += 1
        else:
            self.count, self.first_at = 0, None
        return reading

    def complete(self, _: Reading) -> bool:
        return self.count >= self.needed


def swap_and_verify(world: World, tier: str, target: Revision, *,
                    settings: RecoverySettings | None = None, name: str = APPLICATION_RTO,
                    expected_sha: str | None = None, as_tier: str | None = None,
                    ecs: EcsService | None = None, health: HealthClient | None = None,
                    issued: str = REVERT_ISSUED) -> ServiceRecovery:
    """Swap ``tier``'s service to ``target`` and poll until it has recovered or the deadline.

    ``expected_sha`` defaults to the target revision's image tag. Writes pass the tier guard
    first (``as_tier`` names whose credentials act, default the tier's own). ``issued`` names
    the swap call on the timeline (a promote's swap is not a revert).
    """
    settings = settings or RecoverySettings.application(world.topology)
    ecs = ecs or EcsService(world, tier, as_tier=as_tier)
    health = health or HealthClient(world.tier(tier))
    expected = expected_sha or target.sha
    world.guard_write(tier, as_tier=as_tier, action=f"swap {ecs.service} to {target.label}")
    before = ecs.current()

    watch = Stopwatch()
    watch.mark(issued)
    swap = ecs.swap(target)
    watch.mark("ECS updated")
    streak = _Streak(settings.healthy_in_a_row, expected)
    remaining = max(settings.deadline_s - watch.elapsed(), settings.poll_s)
    outcome = poll_until(lambda: streak.feed(health.read()), streak.complete,
                         interval=settings.poll_s, deadline_s=remaining,
                         what=f"tier {tier} healthy on {target.label}")
    last = outcome.last.describe(expected) if outcome.last else "no reading"
    throttled = (f"; the swap was throttled {len(swap.throttled)} time(s) and retried"
                 if swap.throttled else "")
    if outcome.succeeded and streak.first_at is not None:
        rto = watch.mark("first healthy", at=streak.first_at)
        watch.mark(f"{settings.healthy_in_a_row} healthy in a row")
        note = (f"{target.label} healthy on image {short(expected)}, "
                f"{settings.healthy_in_a_row} OKs in a row polled every {settings.poll_s:g} s"
                f"{throttled}")
        measurement = watch.measure(name, seconds=rto, note=note, target_seconds=settings.target_s,
                                    resolution_seconds=settings.poll_s,
                                    deadline_seconds=settings.deadline_s, subject=target.label)
    else:
        measurement = watch.measure(
            name, completed=False, target_seconds=settings.target_s,
            resolution_seconds=settings.poll_s, deadline_seconds=settings.deadline_s,
            subject=target.label,
            note=(f"not healthy on {target.label} (image {short(expected)}) after "
                  f"{watch.elapsed():.1f} s, the deadline of {settings.deadline_s:g} s; "
                  f"last: {last}{throttled}"))
    return ServiceRecovery(tier, before, target, expected, swap, measurement, outcome.attempts, last)


def service(world: World, tier: str, *, as_tier: str | None = None) -> EcsService:
    """The tier's ECS service, reached with ``as_tier``'s credentials (default its own)."""
    return EcsService(world, tier, as_tier=as_tier)


def healthy_on_current(world: World, tier: str) -> Revision:
    """The revision the tier runs, once the application is healthy on its image (polled for a
    while, so a rollout still in progress is waited for). A tier that does not get there is a
    failed precondition (CheckFailed naming what was seen)."""
    current = service(world, tier).current()
    health = HealthClient(world.tier(tier))
    settings = RecoverySettings.application(world.topology)
    outcome = poll_until(health.read, lambda r: r.running(current.sha), interval=settings.poll_s,
                         deadline_s=min(settings.deadline_s, PRECONDITION_WAIT_S),
                         what=f"tier {tier} healthy on {current.label}")
    if not outcome.succeeded:
        seen = outcome.last.describe(current.sha) if outcome.last else "no reading"
        raise CheckFailed(f"tier {tier} is not healthy on {current.label} after "
                          f"{outcome.elapsed:.1f} s: {seen}",
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
