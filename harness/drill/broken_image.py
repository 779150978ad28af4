"""Drill step 1's deliberately broken image: register a tagged copy of the running task
definition carrying the tier's break marker, deploy it, time how long the smoke gate takes
to catch it, and leave the tier as it was found (service back, revision deregistered).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.clock import Measurement, Stopwatch, poll_until
from harness.evidence.journal import CheckRecord, Journal
from harness.gate.smoke import SmokeResult, SmokeSource, smoke_for
from harness.io.aws.ecs import EcsService, Revision
from harness.io.http.health import HealthClient
from harness.world import World

TIME_TO_DETECT = "time to detect"
DRILL_TAG = "harness:drill-id"
PURPOSE_TAG = "harness:purpose"


@dataclass(frozen=True)
class Detection:
    caught: bool
    measurement: Measurement
    smoke: SmokeResult | None
    polls: int


@dataclass
class BrokenImageDrill:
    """Owns what the drill registers on one tier; ``cleanup`` is safe to call whatever
    happened before (it is the finaliser)."""

    world: World
    tier: str
    drill_id: str
    known_good: Revision | None = None
    broken: Revision | None = None
    cleaned: list[str] = field(default_factory=list)
    _cleaned_up: bool = False

    def __post_init__(self) -> None:
        self.ecs = EcsService(self.world, self.tier)
        self.health = HealthClient(self.world.tier(self.tier))

    @property
    def tags(self) -> dict[str, str]:
        return {DRILL_TAG: self.drill_id, PURPOSE_TAG: "broken-image"}

    def deploy(self) -> Stopwatch:
        """Register the broken copy of what runs now and swap the service to it. The returned
        stopwatch started at the swap call."""
        self.world.guard_write(self.tier, action="deploy a deliberately broken image")
        self.known_good = self.ecs.current()
        name, value = self.world.tier(self.tier).drill_break
        self.broken = self.ecs.register_copy(self.known_good, environment={name: value},
                                             tags=self.tags)
        watch = Stopwatch()
        watch.mark("deploy issued")
        self.ecs.swap(self.broken)
        watch.mark("ECS updated")
        return watch

    def detect(self, watch: Stopwatch, smoke: SmokeSource | None = None) -> Detection:
        """Run the smoke gate until it fails (caught) or the deadline passes (missed)."""
        assert self.broken is not None, "deploy first"
        top = self.world.topology
        smoke = smoke or smoke_for(self.world.tier(self.tier), self.health)
        remaining = max(top.application_deadline - watch.elapsed(), top.application_poll_s)
        outcome = poll_until(lambda: smoke.run(self.broken.sha if self.broken else None),
                             lambda result: not result.passed,
                             interval=top.application_poll_s, deadline_s=remaining,
                             what=f"the smoke gate to fail on {self.broken.label}")
        if outcome.succeeded and outcome.succeeded_at is not None:
            seconds = watch.mark("smoke gate failed")
            m = watch.measure(TIME_TO_DETECT, target_seconds=None,
                              resolution_seconds=top.application_poll_s, seconds=seconds,
                              note=f"{smoke.name} failed on {self.broken.label}")
            return Detection(True, m, outcome.last, outcome.attempts)
        m = watch.measure(TIME_TO_DETECT, target_seconds=None,
                          resolution_seconds=top.application_poll_s, completed=False,
                          note=f"{smoke.name} stayed green on {self.broken.label} for "
                               f"{watch.elapsed():.1f} s: the broken image was NOT caught")
        return Detection(False, m, outcome.last, outcome.attempts)

    def cleanup(self) -> list[str]:
        """Put the service back on the known-good revision if it still asks for the broken
        one, then deregister the broken revision. Whoever uses the tier next waits for it
        to be healthy (see ``recovery.healthy_on_current``)."""
        if self.broken is None or self._cleaned_up:
            return self.cleaned
        self._cleaned_up = True
        if self.known_good is not None and self.ecs.current_arn() == self.broken.arn:
            self.ecs.swap(self.known_good)
            self.cleaned.append(f"service {self.ecs.service} put back on {self.known_good.label} "
                                "(its rollout is not waited for here)")
        self.ecs.deregister(self.broken)
        self.cleaned.append(f"deregistered {self.broken.label} (tag {DRILL_TAG}={self.drill_id})")
        return self.cleaned


def record_detection(detection: Detection, journal: Journal, check: CheckRecord) -> Detection:
    """Put the time to detect and what the smoke gate said into the evidence."""
    m = detection.measurement
    journal.record(m, check)
    check.note(f"{TIME_TO_DETECT}: {m.seconds:.2f} s; {m.note}")
    if detection.smoke is not None:
        check.note(f"smoke gate: {detection.smoke.summary}")
        if detection.smoke.failures:
            check.attach("smoke gate failures", "text", "\n".join(detection.smoke.failures))
        if detection.smoke.link:
            check.link("smoke gate target", detection.smoke.link)
    return detection
