"""Layer-1 application rollback: re-point a tier's service at an earlier task-definition
revision (default: the immediately previous ACTIVE one) and verify it recovers.

``plan`` reads what it must and returns every call the revert would make, changing
nothing (so it needs no production-write flag, only the tier's own account); ``revert``
carries that plan out through the shared swap + verify, each phase timed (and a check in the
run's journal when one is given).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import guard, interrupts
from harness.errors import ConfigError
from harness.io.aws.calls import AwsCall
from harness.io.aws.ecs import EcsService, Revision
from harness.io.http.health import HEALTH_PATH, VERSION_PATH, short
from harness.promote.lock import TierLock
from harness.rollback.phases import LAYER1_FEATURE, PhaseLog
from harness.rollback.recovery import RecoverySettings, ServiceRecovery, service, swap_and_verify
from harness.world import World

LOCK = "tier lock"


@dataclass(frozen=True)
class RevertPlan:
    tier: str
    cluster: str
    service: str
    current: Revision
    target: Revision
    reason: str
    reads: tuple[AwsCall, ...]
    writes: tuple[AwsCall, ...]
    health_url: str
    settings: RecoverySettings
    lock: TierLock

    def lines(self) -> list[str]:
        s = self.settings
        out = [f"revert tier {self.tier}: {self.current.label} (image {short(self.current.sha)}) "
               f"-> {self.target.label} (image {short(self.target.sha)})",
               f"reason: {self.reason}",
               "AWS calls made to plan (read-only):"]
        out += [f"  {c.render()}" for c in self.reads]
        out.append("AWS calls the revert would make:")
        out += [f"  {c.render()}" for c in self.writes]
        out.append(f"then poll GET {self.health_url}{HEALTH_PATH} and {VERSION_PATH} every "
                   f"{s.poll_s:g} s until {s.healthy_in_a_row} OKs in a row on image "
                   f"{short(self.target.sha)} (give up after {s.deadline_s:g} s)")
        return out


def _plan(world: World, tier: str, *, to_revision: int | None, reason: str,
          as_tier: str | None) -> tuple[RevertPlan, EcsService]:
    if not reason.strip():
        raise ConfigError("a rollback needs a reason", fix='pass --reason "incident id + what broke"')
    # Planning only reads: the caller must be in the tier's account, no write flag needed.
    guard.check_write(world.tier(tier), world.caller_account(as_tier or tier), allow_prod=True,
                      action="plan a rollback of the service")
    ecs = service(world, tier, as_tier=as_tier)
    current = ecs.current()
    target = ecs.active(to_revision) if to_revision is not None else ecs.previous(current.number)
    if target.arn == current.arn:
        raise ConfigError(f"service {ecs.service} already runs {target.label}: nothing to revert",
                          where=ecs.where, fix="name another revision with --to-revision")
    # Promote and rollback never run at the same time on a tier: the revert holds its lock.
    lock = TierLock(world, tier, operation="rollback", reason=reason)
    take, release = lock.calls()
    plan = RevertPlan(tier, ecs.cluster, ecs.service, current, target, reason,
                      tuple(ecs.calls), (take, ecs.swap_call(target), release),
                      ecs.tier.health_url, RecoverySettings.application(world.topology), lock)
    return plan, ecs


def plan(world: World, tier: str, *, to_revision: int | None = None, reason: str,
         as_tier: str | None = None) -> RevertPlan:
    """What a revert would do; changes nothing."""
    return _plan(world, tier, to_revision=to_revision, reason=reason, as_tier=as_tier)[0]


def revert_phase(plan: RevertPlan) -> str:
    """The name of the swap + verify phase (a check in the evidence)."""
    return f"revert {plan.current.label} -> {plan.target.label} and verify"


def revert(world: World, tier: str, *, to_revision: int | None = None, reason: str,
           as_tier: str | None = None, break_stale_lock: bool = False,
           phases: PhaseLog | None = None) -> ServiceRecovery:
    """Revert ``tier`` (default: to the immediately previous revision) and verify recovery,
    holding the tier lock (a promote or another rollback in progress is refused at once).
    A revert that does not recover is returned (its phase failed), never raised."""
    revert_plan, ecs = _plan(world, tier, to_revision=to_revision, reason=reason, as_tier=as_tier)
    world.guard_write(tier, as_tier=as_tier, action="roll back the service")
    log = phases or PhaseLog(LAYER1_FEATURE)
    with log.phase(LOCK) as p:
        held = revert_plan.lock.acquire(break_stale=break_stale_lock)
        p.note(f"{held.name} held by {held.owner} until {held.expires_at:%H:%M:%SZ}")
    try:
        with log.phase(revert_phase(revert_plan)) as p:
            recovery = swap_and_verify(world, tier, revert_plan.target,
                                       settings=revert_plan.settings, as_tier=as_tier, ecs=ecs)
            log.measured(recovery.measurement)
            p.note(recovery.summary())
            if not recovery.recovered:
                p.fail(f"{revert_plan.target.label} did not become healthy: "
                       f"{recovery.measurement.note}")
        return recovery
    finally:
        with interrupts.undo(f"the tier lock {revert_plan.lock.name} (tier {tier})") as go:
            if go:
                revert_plan.lock.release()
