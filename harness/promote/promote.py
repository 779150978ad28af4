"""Promote a validated commit to production along the runbook's standard path, each phase
timed: tier lock -> pre-promotion snapshot (available) -> the SHA's image reused or copied
-> a new task-definition revision -> swap + verify (deep health on the SHA) -> on failure,
automatic rollback to the previous revision in the same run, itself verified.

``make_plan`` only reads and returns every call the promote would make; ``promote`` makes
exactly those calls. The result carries the promotion decision record.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from harness import guard, interrupts, naming
from harness.clock import Measurement, utcnow
from harness.errors import AwsOperationError, ConfigError, HarnessError
from harness.evidence.journal import CheckRecord, Decision, Journal
from harness.io.aws import ecr, rds
from harness.io.aws.calls import AwsCall
from harness.io.aws.ecs import EcsService, Revision
from harness.io.http.health import HEALTH_PATH, short
from harness.promote.lock import TierLock
from harness.rollback.recovery import (
    REVERT_ISSUED,
    RecoverySettings,
    ServiceRecovery,
    service,
    swap_and_verify,
)
from harness.world import World

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
FEATURE = "promote"
PROMOTE_RTO = "promotion recovery"
ROLLBACK_RTO = "application RTO (automatic rollback)"
SNAPSHOT_WAIT = "pre-promotion snapshot available"
PROMOTE_SWAP_ISSUED = "promote swap issued"
TAG_SHA = "harness:sha"
TAG_SIGNED_OFF_BY = "harness:signed-off-by"

# The phases in the order they run (names as the evidence shows them).
LOCK, SNAPSHOT, IMAGE, REGISTER, SWAP, ROLLBACK, RETIRE = (
    "tier lock", "pre-promotion snapshot", "image for the SHA", "new task-definition revision",
    "swap and verify", "automatic rollback", "failed revision retired")


@dataclass(frozen=True)
class PromoteRequest:
    sha: str
    cycle: str
    reason: str
    signed_off_by: str | None = None
    tier: str = "prod"
    source_tier: str = "staging"
    break_stale_lock: bool = False
    owner: str | None = None


def validated_sha(world: World, tier: str = "staging") -> str:
    """The commit SHA ``tier`` runs now (the image tag of its service's task definition): the
    build the staging soak validated."""
    revision = service(world, tier).current()
    if revision.sha is None:
        raise ConfigError(f"tier {tier} runs {revision.image}, which is not tagged with a SHA",
                          fix="pass --sha explicitly")
    return revision.sha


def check_request(world: World, req: PromoteRequest) -> None:
    """Refuse a request that cannot be promoted, before anything is read or written."""
    if not FULL_SHA.match(req.sha):
        raise ConfigError(f"--sha {req.sha!r} is not a full 40-character lower-case commit SHA",
                          fix="pass the full SHA staging validated (git rev-parse <commit>)")
    if not req.cycle.strip():
        raise ConfigError("a promotion needs a cycle id", fix="pass --cycle, e.g. NQU-865")
    if not req.reason.strip():
        raise ConfigError("a promotion needs a reason",
                          fix='pass --reason "cycle id + ticket for the audit trail"')
    if req.tier == req.source_tier:
        raise ConfigError(f"cannot promote tier '{req.tier}' onto itself",
                          fix="promote from staging to prod (--tier prod)")
    for name in (req.tier, req.source_tier):
        tier = world.tier(name)
        if not (tier.is_aws and tier.cluster and tier.service and tier.task_family):
            raise ConfigError(f"tier '{name}' has no ECS service to promote with",
                              fix="choose AWS tiers with cluster, service and task_family")
    if not world.tier(req.tier).db_instance:
        raise ConfigError(f"tier '{req.tier}' names no database: the pre-promotion snapshot "
                          "is not optional", fix=f"set db_instance under [tiers.{req.tier}]")


@dataclass(frozen=True)
class PromotePlan:
    request: PromoteRequest
    account: str
    snapshot_id: str
    current: Revision
    target: Revision  # the revision to be registered, as predicted (number and ARN)
    image: ecr.ImagePlan
    lock: TierLock
    snapshot: AwsCall
    register: AwsCall
    swap: AwsCall
    rollback: AwsCall
    retire: AwsCall
    settings: RecoverySettings
    health_url: str

    def writes(self) -> list[AwsCall]:
        """Every write of a promote that succeeds, in order."""
        put, release = self.lock.calls()
        image = [self.image.put] if self.image.put else []
        return [put, self.snapshot, *image, self.register, self.swap, release]

    def lines(self) -> list[str]:
        r, s = self.request, self.settings
        *steps, release = self.writes()
        return [
            f"promote {short(r.sha)} ({r.sha}) to tier {r.tier} (account {self.account}), "
            f"cycle {r.cycle}: {self.current.label} -> {self.target.label}",
            f"reason: {r.reason}; signed off by: {r.signed_off_by or '(not given)'}",
            f"image: {self.image.describe()}",
            "AWS calls, in order:",
            *(f"  {c.render()}" for c in steps),
            f"  then poll {self.health_url}{HEALTH_PATH} every {s.poll_s:g} s until "
            f"{s.healthy_in_a_row} OKs in a row on {short(r.sha)} (give up after {s.deadline_s:g} s)",
            f"  only if that fails: {self.rollback.render()}",
            f"    and then: {self.retire.render()}",
            f"  {release.render()}",
            "nothing was changed (plan only)",
        ]


def make_plan(world: World, req: PromoteRequest) -> PromotePlan:
    """Read what the promote needs and return every call it would make; changes nothing."""
    check_request(world, req)
    tier = world.tier(req.tier)
    account = world.caller_account(req.tier)
    # The plan writes nothing, so it needs no --allow-prod-write; the account must match.
    guard.check_write(tier, account, allow_prod=True, action="plan a promotion")
    ecs = service(world, req.tier)
    current = ecs.current()
    image = ecr.plan_image(world, target=req.tier, source=req.source_tier, sha=req.sha)
    known = ecs.revision_numbers("ACTIVE") + ecs.revision_numbers("INACTIVE")
    number = max(known, default=current.number) + 1
    target = replace(current, number=number, arn=_arn_with(current.arn, number),
                     image=image.uri, status="ACTIVE")
    snapshot_id = naming.snapshot_identifier(world.topology.snapshot_template, req.cycle, utcnow())
    register = AwsCall(req.tier, "ecs", "register_task_definition",
                           ecs.register_params(current, image=image.uri),
                           why=f"{current.label} with image {short(req.sha)}")
    swap = ecs.swap_call(target)
    rollback = replace(ecs.swap_call(current), why=f"automatic rollback to {current.label}")
    retire = AwsCall(req.tier, "ecs", "deregister_task_definition",
                     {"taskDefinition": target.arn},
                     why=f"retire the failed {target.label}: no later rollback may pick it")
    lock = TierLock(world, req.tier, operation="promote", reason=f"{req.cycle}: {req.reason}",
                    owner=req.owner)
    return PromotePlan(
        request=req, account=account, snapshot_id=snapshot_id, current=current, target=target,
        image=image, lock=lock, snapshot=_snapshot_call(world, req, snapshot_id),
        register=register, swap=swap, rollback=rollback, retire=retire,
        settings=RecoverySettings.application(world.topology), health_url=tier.health_url)


def snapshot_tags(req: PromoteRequest) -> dict[str, str]:
    tags = {naming.TAG_CREATED_BY: naming.CREATED_BY, naming.TAG_CYCLE: req.cycle,
            naming.TAG_REASON: req.reason, TAG_SHA: req.sha}
    if req.signed_off_by:
        tags[TAG_SIGNED_OFF_BY] = req.signed_off_by
    return tags


def _snapshot_call(world: World, req: PromoteRequest, snapshot_id: str) -> AwsCall:
    return AwsCall(req.tier, "rds", "create_db_snapshot", {
        "DBInstanceIdentifier": world.tier(req.tier).db_instance,
        "DBSnapshotIdentifier": snapshot_id, "Tags": naming.rds_tags(snapshot_tags(req))},
        why="the pre-promotion snapshot (the nuclear restore point)")


def _arn_with(arn: str, number: int) -> str:
    return f"{arn.rsplit(':', 1)[0]}:{number}"


# --- the run -------------------------------------------------------------------------------------

Status = Literal["passed", "failed", "skipped", "interrupted"]


@dataclass
class PhaseRecord:
    name: str
    started: datetime
    duration_s: float = 0.0
    status: Status = "passed"
    detail: str = ""
    error: str | None = None


@dataclass
class PromoteResult:
    request: PromoteRequest
    plan: PromotePlan
    phases: list[PhaseRecord] = field(default_factory=list)
    snapshot_id: str | None = None
    image: ecr.ImageResult | None = None
    revision: Revision | None = None
    recovery: ServiceRecovery | None = None
    rollback: ServiceRecovery | None = None
    measurements: list[Measurement] = field(default_factory=list)

    @property
    def promoted(self) -> bool:
        return self.recovery is not None and self.recovery.recovered

    @property
    def verdict(self) -> Literal["pass", "fail"]:
        return "pass" if self.promoted and all(p.status == "passed" for p in self.phases) else "fail"

    @property
    def rolled_back(self) -> bool:
        return self.rollback is not None and self.rollback.recovered

    def decision(self) -> Decision:
        r = self.request
        return Decision(cycle=r.cycle, sha=r.sha, snapshot_id=self.snapshot_id,
                        signed_off_by=r.signed_off_by, verdict=self.verdict)

    def phase(self, name: str) -> PhaseRecord | None:
        return next((p for p in self.phases if p.name == name), None)

    def summary(self) -> str:
        r = self.request
        if self.promoted:
            return f"PROMOTED {short(r.sha)} to {r.tier} as {self.plan.target.label}"
        failed = next((p for p in self.phases if p.status == "failed"), None)
        head = f"PROMOTION FAILED at '{failed.name}'" if failed else "PROMOTION FAILED"
        if self.rollback is not None:
            back = "verified healthy" if self.rolled_back else "NOT healthy"
            head += f"; rolled back to {self.plan.current.label}, {back}"
        return head


class _Phases:
    """Times each phase; with a journal, each phase is also a check in it, written live."""

    def __init__(self, result: PromoteResult, journal: Journal | None) -> None:
        self.result = result
        self.journal = journal
        self.check: CheckRecord | None = None

    @contextmanager
    def run(self, name: str) -> Iterator[PhaseRecord]:
        record = PhaseRecord(name, utcnow())
        self.check = self.journal.begin_check(FEATURE, name) if self.journal else None
        self.result.phases.append(record)
        t0 = time.monotonic()
        try:
            yield record
        except (HarnessError, ClientError, BotoCoreError) as exc:
            record.status = "failed"
            record.error = exc.render() if isinstance(exc, HarnessError) else str(exc)
            raise _Stop from exc
        except BaseException as exc:
            # Never recorded as passed: stopped by a signal, or a bug broke the phase.
            interrupted = isinstance(exc, KeyboardInterrupt)
            record.status = "interrupted" if interrupted else "failed"
            record.error = (f"interrupted ({exc})" if interrupted
                            else f"{type(exc).__name__}: {exc}")
            raise
        finally:
            record.duration_s = time.monotonic() - t0
            if self.journal is not None and self.check is not None:
                self.check.detail = record.detail
                self.journal.end_check(self.check, record.status, record.duration_s, record.error)

    def measured(self, m: Measurement) -> None:
        self.result.measurements.append(m)
        if self.journal is not None:
            self.journal.record(m, self.check)


class _Stop(Exception):
    """A phase failed: the promote goes no further (the lock is still released)."""


def promote(world: World, req: PromoteRequest, *, journal: Journal | None = None,
            plan: PromotePlan | None = None) -> PromoteResult:
    """Run the promotion. Never raises for a failed phase: the result says what failed, and a
    failed swap is rolled back to the previous revision in the same run."""
    plan = plan or make_plan(world, req)
    world.guard_write(req.tier, action=f"promote {short(req.sha)}")
    result = PromoteResult(req, plan)
    phases = _Phases(result, journal)
    try:
        with phases.run(LOCK) as p:
            info = plan.lock.acquire(break_stale=req.break_stale_lock)
            p.detail = f"{plan.lock.name} held by {info.owner} until {info.expires_at:%H:%M:%SZ}"
        try:
            _carry_out(world, plan, result, phases)
        finally:
            with interrupts.undo(f"the tier lock {plan.lock.name} (tier {req.tier})") as go:
                if go:
                    plan.lock.release()
    except _Stop:
        pass
    finally:
        # Also when a bug escapes: the evidence then still records a failed decision.
        if journal is not None:
            journal.decision = result.decision()
    return result


def _carry_out(world: World, plan: PromotePlan, result: PromoteResult, phases: _Phases) -> None:
    req = plan.request
    with phases.run(SNAPSHOT) as p:
        snap = rds.take_snapshot(world, req.tier, plan.snapshot_id, snapshot_tags(req))
        result.snapshot_id = snap.id
        waited = rds.wait_available(world, req.tier, snap.id,
                                    deadline_s=world.topology.rds_deadline,
                                    interval_s=world.topology.rds_poll_s)
        phases.measured(replace(waited.measurement, name=SNAPSHOT_WAIT))
        p.detail = waited.describe()
        if waited.failed:
            raise AwsOperationError(f"the pre-promotion snapshot is not available: {waited.describe()}",
                                    fix="nothing was swapped; read the snapshot's events and retry")
    with phases.run(IMAGE) as p:
        result.image = ecr.ensure_image(world, plan.image)
        p.detail = plan.image.describe() + (f" ({result.image.note})" if result.image.note else "")
    ecs = service(world, req.tier)
    with phases.run(REGISTER) as p:
        result.revision = ecs.register_copy(plan.current, image=plan.image.uri)
        p.detail = f"registered {result.revision.label} with image {result.revision.image}"
    revision = result.revision
    try:
        result.recovery = _verified_swap(
            world, plan, phases, ecs, SWAP, revision, measurement=PROMOTE_RTO,
            issued=PROMOTE_SWAP_ISSUED,
            failure=f"{revision.label} was not healthy on {short(req.sha)} within "
                    f"{plan.settings.deadline_s:g} s: rolling back to {plan.current.label}")
        if result.recovery.recovered:
            return
    except _Stop:
        pass
    result.rollback = _verified_swap(
        world, plan, phases, ecs, ROLLBACK, plan.current, measurement=ROLLBACK_RTO,
        failure=f"the rollback to {plan.current.label} did not recover either: production "
                "needs a person now (Layer-1 revert by hand, see the runbook)")
    _retire(plan, phases, ecs, revision)
    raise _Stop


def _retire(plan: PromotePlan, phases: _Phases, ecs: EcsService, revision: Revision) -> None:
    """A failed build's revision must never be a later rollback's target: it is deregistered
    (``EcsService.previous`` lists ACTIVE revisions only). ECS keeps a service that still
    references an INACTIVE revision running, so this is safe even when the rollback failed."""
    try:
        with phases.run(RETIRE) as p:
            ecs.deregister(revision)
            p.detail = f"deregistered {revision.label}: no later rollback can pick it"
    except _Stop:
        pass


def _verified_swap(world: World, plan: PromotePlan, phases: _Phases, ecs: EcsService, phase: str,
                   target: Revision, *, measurement: str, failure: str,
                   issued: str = REVERT_ISSUED) -> ServiceRecovery:
    """One phase: swap to ``target`` and verify it (Layer 1's shared path); a target that
    never becomes healthy fails the phase with ``failure``."""
    with phases.run(phase) as p:
        recovery = swap_and_verify(world, plan.request.tier, target, settings=plan.settings,
                                   name=measurement, ecs=ecs, issued=issued)
        phases.measured(recovery.measurement)
        p.detail = recovery.summary()
        if not recovery.recovered:
            p.status, p.error = "failed", failure
    return recovery
