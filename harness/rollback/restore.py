"""Layer-2 data recovery: snapshot the source, restore it to a NEW instance, validate the
data path on the copy, repoint the application, with the data RTO measured phase by phase.

The measurement runs from the restore call until the last phase that was asked for; a phase
that fails ends it (``completed=False``) and the result names that phase. Nothing here
decides pass/fail for a report: the steps do, from the returned result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from harness import naming
from harness.clock import Measurement, Stopwatch, utcnow
from harness.errors import CheckFailed, HarnessError
from harness.io.aws import rds
from harness.io.db import fingerprint as fp
from harness.rollback.datacheck import AFTER, BEFORE, CopyVerdict, Fingerprint, judge
from harness.rto import DATA_RTO
from harness.world import World

RESTORE_CALL = "restore call"
INSTANCE_AVAILABLE = "restored instance available"
DATA_VERIFIED = "data verified"
APP_HEALTHY = "repointed app healthy"
PHASES = (RESTORE_CALL, INSTANCE_AVAILABLE, DATA_VERIFIED, APP_HEALTHY)


@dataclass(frozen=True)
class Baseline:
    """The source as the snapshot froze it: canary written, fingerprint taken, snapshot
    available, then the post-snapshot row written."""

    tier: str
    drill_id: str
    fingerprint: Fingerprint
    snapshot: rds.Snapshot
    snapshot_wait: rds.Waited


@dataclass(frozen=True)
class Repointed:
    """Outcome of pointing the application at the restored endpoint."""

    healthy: bool
    detail: str
    healthy_at: float | None = None  # monotonic instant deep health was first ok


Repoint = Callable[[rds.DbInstance], Repointed]
# Verifies a restored copy further (its DSN in): what it found, or HarnessError.
CheckCopy = Callable[[str], str]


@dataclass(frozen=True)
class DataRecovery:
    """A measured restore: the data RTO measurement and what each phase found."""

    measurement: Measurement
    instance_id: str
    instance: rds.DbInstance | None
    verdict: CopyVerdict | None
    actual: Fingerprint | None
    failed_phase: str | None
    reason: str

    @property
    def succeeded(self) -> bool:
        return self.failed_phase is None

    def raise_for_failure(self) -> None:
        if self.failed_phase is not None:
            raise CheckFailed(f"data recovery failed at phase '{self.failed_phase}' (restored "
                              f"instance {self.instance_id}): {self.reason}",
                              fix=_FIXES.get(self.failed_phase, "see the evidence for the phase"))


_FIXES = {
    RESTORE_CALL: "check the snapshot id and the tier's RDS permissions and quotas",
    INSTANCE_AVAILABLE: "read the instance's events (aws rds describe-events); restore again",
    DATA_VERIFIED: "do NOT repoint the application at this copy; compare the tables listed "
                   "and restore from another snapshot",
    APP_HEALTHY: "check the DB-host secret, the new deployment and the app's deep health",
}


def fingerprint_source(world: World, tier: str, drill_id: str) -> Fingerprint:
    """Write the drill's canary into the source, then fingerprint it (canary included)."""
    source = world.databases.source_dsn(world.tier(tier))
    fp.write_canary(source, drill_id, BEFORE)
    return fp.fingerprint(source, "source database")


def snapshot_source(world: World, tier: str, drill_id: str, *, deadline_s: float | None = None
                    ) -> tuple[rds.Snapshot, rds.Waited]:
    """A manual snapshot of the tier's instance, tagged with the drill id, waited for."""
    t = world.tier(tier)
    assert t.db_instance, f"tier {tier} has no db_instance"
    name = naming.drill_snapshot_identifier(t.db_instance, drill_id)
    snapshot = rds.take_snapshot(world, tier, name, naming.drill_tags(drill_id))
    waited = rds.wait_available(world, tier, snapshot.id,
                                deadline_s=deadline_s or world.topology.rds_deadline,
                                interval_s=world.topology.rds_poll_s)
    if waited.failed:
        raise CheckFailed(f"the drill snapshot did not become available: {waited.describe()}",
                          where=f"tier {tier}, instance {t.db_instance}",
                          fix="read the snapshot's events; nothing was restored")
    return snapshot, waited


def write_after_row(world: World, tier: str, drill_id: str) -> None:
    """The row a faithful copy of the snapshot must NOT contain."""
    fp.write_canary(world.databases.source_dsn(world.tier(tier)), drill_id, AFTER)


def take_baseline(world: World, tier: str, drill_id: str, *, deadline_s: float | None = None
                  ) -> Baseline:
    """Canary, fingerprint, tagged manual snapshot (waited for), then the post-snapshot row."""
    expected = fingerprint_source(world, tier, drill_id)
    snapshot, waited = snapshot_source(world, tier, drill_id, deadline_s=deadline_s)
    write_after_row(world, tier, drill_id)
    return Baseline(tier, drill_id, expected, snapshot, waited)


def restore_and_verify(world: World, tier: str, snapshot_id: str, *, instance_id: str,
                       tags: Mapping[str, str], expected: Fingerprint | None,
                       drill_id: str | None, repoint: Repoint | None = None,
                       deadline_s: float | None = None,
                       check_copy: CheckCopy | None = None) -> DataRecovery:
    """Restore ``snapshot_id`` into ``instance_id`` and walk the phases; never raises for a
    phase that fails (the result names it). ``expected`` None skips the data comparison
    (e.g. a real Layer-2 restore with no baseline): the verdict then says so.
    ``check_copy(dsn)`` verifies the copy further before anything is repointed at it: it
    returns what it found, or raises HarnessError (the copy is then NOT verified)."""
    target = world.topology.data_rto_s
    deadline = deadline_s or world.topology.rds_deadline
    interval = world.topology.rds_poll_s
    watch = Stopwatch()
    instance: rds.DbInstance | None = None
    actual: Fingerprint | None = None
    verdict: CopyVerdict | None = None

    def finish(failed: str | None, reason: str) -> DataRecovery:
        # Recovered = the last phase asked for was reached: the RTO ends there, not when the
        # harness finished confirming it.
        end = watch.phases[-1].offset_s if failed is None and watch.phases else None
        note = reason if failed is None else f"failed at {failed}: {reason}"
        measurement = watch.measure(DATA_RTO, target_seconds=target, resolution_seconds=interval,
                                    seconds=end, completed=failed is None, note=note,
                                    deadline_seconds=deadline, subject=instance_id)
        return DataRecovery(measurement, instance_id, instance, verdict, actual, failed, reason)

    try:
        rds.restore_to_new_instance(world, tier, snapshot_id, instance_id, tags)
    except HarnessError as exc:
        return finish(RESTORE_CALL, exc.what)
    watch.mark(RESTORE_CALL)

    waited = rds.wait_instance_available(world, tier, instance_id, deadline_s=deadline,
                                         interval_s=interval)
    if waited.failed:
        return finish(INSTANCE_AVAILABLE, waited.describe())
    watch.mark(INSTANCE_AVAILABLE, at=waited.available_at)
    instance = rds.describe_instance(world, tier, instance_id)
    if instance is None or not instance.host:
        return finish(INSTANCE_AVAILABLE, f"{instance_id} is available but has no endpoint")

    try:
        dsn = world.databases.endpoint_dsn(world.tier(tier), instance.host, instance.port)
        actual = fp.fingerprint(dsn, f"restored instance {instance_id} ({instance.endpoint})")
        markers = fp.canary_markers(dsn, drill_id) if drill_id else None
        found = f"; {check_copy(dsn)}" if check_copy is not None else ""
    except HarnessError as exc:
        return finish(DATA_VERIFIED, f"data path NOT verified: {exc.what}")
    if expected is not None:
        verdict = judge(expected, actual, markers)
        if not verdict.ok:
            return finish(DATA_VERIFIED, verdict.summary())
    watch.mark(DATA_VERIFIED)

    if repoint is None:
        return finish(None, f"restored {instance_id} verified ({actual.rows} rows{found}); "
                            "app not repointed")
    outcome = repoint(instance)
    if not outcome.healthy:
        return finish(APP_HEALTHY, outcome.detail)
    watch.mark(APP_HEALTHY, at=outcome.healthy_at)
    return finish(None, f"restored {instance_id} verified ({actual.rows} rows{found}) and the "
                        f"app is healthy on it: {outcome.detail}")


def drill_instance_id(world: World, tier: str, at: datetime | None = None) -> str:
    t = world.tier(tier)
    assert t.db_instance
    return naming.restored_instance_identifier(t.db_instance, at or utcnow())
