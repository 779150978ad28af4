"""Drill step 1's deliberately broken image: register a tagged copy of the running task
definition carrying the tier's break marker, deploy it, time how long the smoke gate takes
to catch it, and leave the tier as it was found (service back and verified healthy, revision
deregistered). Each change is recorded in the tier's undo record before it is made, so a
killed drill is undone by ``harness cleanup`` the same way the finaliser undoes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import naming
from harness.clock import Measurement, Stopwatch, poll_until
from harness.evidence.journal import CheckRecord, Journal
from harness.gate.smoke import SmokeResult, SmokeSource, smoke_for
from harness.io.aws.ecs import EcsService, Revision
from harness.io.http.health import HealthClient
from harness.undo.replay import replay
from harness.undo.store import UndoLog
from harness.undo.summary import ECS_KINDS, CleanupSummary
from harness.world import World

TIME_TO_DETECT = "time to detect"
DRILL_TAG = naming.TAG_DRILL_ID
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
    cleaned: CleanupSummary | None = None

    def __post_init__(self) -> None:
        self.ecs = EcsService(self.world, self.tier)
        self.health = HealthClient(self.world.tier(self.tier))
        self.undo = UndoLog(self.world, self.tier, self.drill_id, "drill")

    def tags(self, known_good: Revision) -> dict[str, str]:
        return {DRILL_TAG: self.drill_id, PURPOSE_TAG: "broken-image",
                naming.TAG_COPIED_FROM: known_good.arn}

    def deploy(self) -> Stopwatch:
        """Register the broken copy of what runs now and swap the service to it. The returned
        stopwatch started at the swap call."""
        self.world.guard_write(self.tier, action="deploy a deliberately broken image")
        self.known_good = self.ecs.current()
        self.undo.service(self.known_good.arn)
        name, value = self.world.tier(self.tier).drill_break
        self.broken = self.ecs.register_copy(self.known_good, environment={name: value},
                                             tags=self.tags(self.known_good))
        self.undo.revision(self.broken.arn)
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

    def cleanup(self) -> CleanupSummary:
        """Replay this drill's undo record on the tier (service back on the known-good revision
        and verified healthy, the broken revision deregistered, a lock left by its revert
        removed) and check nothing is left. Safe to call whatever happened before (it is the
        finaliser); replays once."""
        if self.cleaned is None:
            self.cleaned = replay(self.world, self.tier, self.drill_id, kinds=ECS_KINDS)
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
