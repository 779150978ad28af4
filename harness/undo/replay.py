"""Replay what drills left on a tier, kind by kind, then check that nothing is left: the one
function ``harness cleanup``, the drill's finalisers and an interrupt handler all call.

Order: the undo records are read; a lock a drill left is removed; the DB-host secret is
pointed back where it was; the service is put back on the revision it ran before the first
drill changed it (a new deployment, verified like any swap: replaced tasks and healthy), or,
already there, verified healthy; the revisions drills registered are deregistered; restored
instances, snapshots and canary rows are removed. Each kind is attempted whatever happened to
the one before; a record is deleted only when what it describes was undone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from harness import naming
from harness.errors import HarnessError
from harness.io.aws import rds
from harness.io.aws import secrets as db_secret
from harness.io.aws.ecs import EcsService, Revision, not_a_release
from harness.io.db import fingerprint as fp
from harness.promote.lock import LockHeld, TierLock, drill_lock, remove_drill_lock
from harness.rollback.recovery import healthy_on_current, swap_and_verify
from harness.undo import store
from harness.undo.record import UndoRecord, db_host_before, service_before
from harness.undo.summary import (
    ALL_KINDS,
    CANARIES,
    INSTANCES,
    LOCK,
    RECORDS,
    REVISIONS,
    SECRET,
    SERVICE,
    SNAPSHOTS,
    CleanupSummary,
    KindResult,
)
from harness.world import World

# Drills register their revisions last: the newest ones are the ones to look at.
SCAN_REVISIONS = 50
CLEANUP_RTO = "cleanup: service back"


@dataclass
class _Kind:
    kind: str
    found: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attempt(self, work: Callable[[], None]) -> bool:
        try:
            work()
        except HarnessError as exc:
            self.errors.append(exc.what)
        return not self.errors

    def result(self) -> KindResult:
        return KindResult(self.kind, tuple(self.found), tuple(self.done), tuple(self.errors))


def _ours(drill_id: str | None) -> Callable[[str | None], bool]:
    return lambda value: value is not None and (drill_id is None or value == drill_id)


class _Replay:
    def __init__(self, world: World, tier: str, drill_id: str | None,
                 kinds: Iterable[str]) -> None:
        self.world, self.tier, self.drill_id = world, tier, drill_id
        self.kinds = tuple(k for k in ALL_KINDS if k in set(kinds))
        self.t = world.tier(tier)
        self.out = {k: _Kind(k) for k in self.kinds}
        self.records: list[tuple[str, UndoRecord]] = []
        self.secret_back: str | None = None  # the host the secret was pointed back at

    def run(self) -> CleanupSummary:
        steps = ((RECORDS, self.read_records), (LOCK, self.lock), (SECRET, self.secret),
                 (SERVICE, self.service), (REVISIONS, self.revisions),
                 (INSTANCES, self.instances), (SNAPSHOTS, self.snapshots),
                 (CANARIES, self.canaries))
        for kind, work in steps:
            if kind in self.out:
                self.out[kind].attempt(work)
        self.forget_replayed()
        remaining = tuple(left(self.world, self.tier, self.drill_id, self.kinds))
        return CleanupSummary(self.tier, self.drill_id,
                              tuple(self.out[k].result() for k in self.kinds), self.kinds,
                              remaining)

    # -- kinds --------------------------------------------------------------------------------
    def read_records(self) -> None:
        out = self.out[RECORDS]
        for name, value in store.read_records(self.world, self.tier):
            try:
                record = UndoRecord.from_value(name, value)
            except HarnessError as exc:
                out.errors.append(exc.what)
                continue
            if _ours(self.drill_id)(record.run_id):
                self.records.append((name, record))
                out.found.append(f"{name} ({record.operation} {record.run_id})")

    def lock(self) -> None:
        held = remove_drill_lock(self.world, self.tier, self.drill_id)
        if held is not None:
            self.out[LOCK].found.append(held.describe())
            self.out[LOCK].done.append(f"removed {held.name}")

    def secret(self) -> None:
        if not self.t.db_host_secret:
            return
        out = self.out[SECRET]
        current = db_secret.read_db_host(self.world, self.tier)
        target = db_host_before([r for _, r in self.records]) or self._own_if_on_a_copy(current.host)
        if target is None or target[0] == current.host:
            return
        host, port = target
        out.found.append(f"{self.t.db_host_secret} names {current.host}, not {host}")
        db_secret.write_db_host(self.world, self.tier, host, port)
        self.secret_back = host
        out.done.append(f"pointed {self.t.db_host_secret} back at {host} (its new deployment "
                        "is verified with the service)")

    def _own_if_on_a_copy(self, host: str) -> tuple[str, int | None] | None:
        """No record, but the secret names a drill's restored instance: the tier's own."""
        if not self.t.db_instance:
            return None
        _, restored = rds.drill_resources(self.world, self.tier, self.drill_id)
        if not any(i.host == host for i in restored):
            return None
        own = rds.describe_instance(self.world, self.tier, self.t.db_instance)
        if own is None or not own.host:
            raise HarnessError(f"the DB-host secret names a drill's restored instance and the "
                               f"tier's own instance {self.t.db_instance} has no endpoint",
                               fix="repoint the secret by hand before deleting the copy")
        return own.host, own.port

    def service(self) -> None:
        out = self.out[SERVICE]
        if SECRET in self.out and self.out[SECRET].errors:
            raise HarnessError("the DB-host secret was not put back: the service is left as it is")
        ecs = EcsService(self.world, self.tier)
        current = ecs.current()
        target = self._service_target(ecs, current)
        if target.arn == current.arn and self.secret_back is None:
            healthy_on_current(self.world, self.tier)
            out.done.append(f"runs {target.label} as before, verified healthy")
            return
        if target.arn != current.arn:
            out.found.append(f"runs {current.label}, not {target.label}")
        lock = TierLock(self.world, self.tier, operation="cleanup",
                        reason=f"drill {self.drill_id or '(any)'} cleanup")
        try:
            lock.acquire()
        except LockHeld as exc:
            raise HarnessError(f"the service was not touched: {exc.what}") from exc
        try:
            recovery = swap_and_verify(self.world, self.tier, target, name=CLEANUP_RTO,
                                       expected_database=self.secret_back)
        finally:
            lock.release()
        if not recovery.recovered:
            raise HarnessError(f"putting the service back on {target.label} did not recover: "
                               f"{recovery.measurement.note}")
        out.done.append(f"back on {target.label}, verified healthy: {recovery.summary()}")

    def _service_target(self, ecs: EcsService, current: Revision) -> Revision:
        recorded = service_before([r for _, r in self.records])
        if recorded:
            return ecs.describe(recorded)
        if not current.tags.get(naming.TAG_DRILL_ID):
            return current
        copied = current.tags.get(naming.TAG_COPIED_FROM)
        return ecs.describe(copied) if copied else ecs.previous(current.number)

    def revisions(self) -> None:
        out = self.out[REVISIONS]
        ecs = EcsService(self.world, self.tier)
        running = ecs.current_arn()
        recorded = {arn for _, r in self.records for arn in r.revisions}
        for revision in drill_revisions(ecs, self.drill_id, recorded):
            out.found.append(f"{revision.label} ({not_a_release(revision) or 'recorded'}), "
                             "ACTIVE")
            if revision.arn == running:
                out.errors.append(f"{revision.label} is what the service runs: not deregistered")
                continue
            ecs.deregister(revision)
            out.done.append(f"deregistered {revision.label}")

    def instances(self) -> None:
        out = self.out[INSTANCES]
        _, restored = rds.drill_resources(self.world, self.tier, self.drill_id)
        in_use = db_secret.read_db_host(self.world, self.tier).host if self.t.db_host_secret \
            else None
        for instance in restored:
            out.found.append(f"{instance.id} ({instance.endpoint})")
            if instance.host == in_use:
                out.errors.append(f"{instance.id} is what the DB-host secret names: kept")
            elif rds.delete_instance(self.world, self.tier, instance.id):
                out.done.append(f"deleted {instance.id}")

    def snapshots(self) -> None:
        out = self.out[SNAPSHOTS]
        snaps, _ = rds.drill_resources(self.world, self.tier, self.drill_id)
        for snap in snaps:
            out.found.append(snap.id)
            if rds.delete_snapshot(self.world, self.tier, snap.id):
                out.done.append(f"deleted {snap.id}")

    def canaries(self) -> None:
        if not self.t.db_instance:
            return
        removed = fp.remove_canaries(self.world.databases.source_dsn(self.t), self.drill_id)
        if removed:
            self.out[CANARIES].found.append(f"{removed} row(s) in the source database")
            self.out[CANARIES].done.append(f"removed {removed} row(s)")

    def forget_replayed(self) -> None:
        """Delete the records whose every part was undone."""
        def clean(kind: str) -> bool:
            return kind in self.out and not self.out[kind].errors

        for name, record in self.records:
            parts = [SERVICE] if record.service_before else []
            parts += [SECRET] if record.db_host_before else []
            parts += [REVISIONS] if record.revisions else []
            if all(clean(k) for k in parts) and clean(RECORDS):
                store.delete_record(self.world, self.tier, name)
                self.out[RECORDS].done.append(f"deleted {name} (replayed)")


def drill_revisions(ecs: EcsService, drill_id: str | None, recorded: set[str]) -> list[Revision]:
    """ACTIVE revisions a drill registered: tagged with its id (among the newest), or
    recorded in an undo record."""
    ours = _ours(drill_id)
    numbers = ecs.revision_numbers()[-SCAN_REVISIONS:]
    found = [r for r in (ecs.describe(n) for n in numbers)
             if ours(r.tags.get(naming.TAG_DRILL_ID)) or r.arn in recorded]
    return found


def left(world: World, tier: str, drill_id: str | None, kinds: Iterable[str]) -> list[str]:
    """What a drill's cleanup should have removed and is still there (each kind looked at)."""
    kinds = set(kinds)
    t = world.tier(tier)
    found: list[str] = []

    def look(kind: str, work: Callable[[], list[str]]) -> None:
        if kind in kinds:
            try:
                found.extend(work())
            except HarnessError as exc:
                found.append(f"{kind}: could not look ({exc.what})")

    look(RECORDS, lambda: [n for n, v in store.read_records(world, tier)
                           if drill_id is None or n == store.parameter_name(t, drill_id)])
    look(LOCK, lambda: [f"lock {held.describe()}"] if (held := drill_lock(world, tier, drill_id))
         else [])
    look(REVISIONS, lambda: [f"{r.label} is ACTIVE" for r in
                             drill_revisions(EcsService(world, tier), drill_id, set())])
    look(INSTANCES, lambda: [f"instance {i.id}" for i in rds.drill_resources(world, tier,
                                                                              drill_id)[1]])
    look(SNAPSHOTS, lambda: [f"snapshot {s.id}" for s in rds.drill_resources(world, tier,
                                                                              drill_id)[0]
                             if s.status != "deleting"])
    if t.db_instance:
        look(CANARIES, lambda: [f"{n} canary row(s)" for n in
                                [fp.count_canaries(world.databases.source_dsn(t), drill_id)]
                                if n])
    return found


def replay(world: World, tier: str, drill_id: str | None = None, *,
           kinds: Iterable[str] = ALL_KINDS) -> CleanupSummary:
    """Undo what drill ``drill_id`` (every drill when None) left on ``tier`` for each of
    ``kinds``, then look again: the summary is complete only when nothing is left."""
    return _Replay(world, tier, drill_id, kinds).run()
