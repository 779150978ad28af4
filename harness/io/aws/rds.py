"""RDS snapshots and restores: thin boto3 calls returning frozen dataclasses.

Every call goes through ``harness.io.aws.calls.execute``, so every write passes the tier
guard. Waiting uses the harness's own polling (interval, deadline, resolution recorded),
never the botocore waiters, whose 30-minute limit is below the data RTO. Names and tags
come from ``harness.naming``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness import naming
from harness.clock import Measurement, Stopwatch, poll_until
from harness.errors import AwsOperationError
from harness.io.aws.calls import AwsCall, execute
from harness.world import World

AVAILABLE = "available"
GONE = "gone"
# Statuses an instance or snapshot does not come back from by itself: stop polling at once.
FAILED_STATUSES = frozenset({
    "failed", "error", "incompatible-restore", "incompatible-parameters",
    "incompatible-network", "incompatible-option-group", "storage-full",
    "inaccessible-encryption-credentials", "restore-error", "deleting", GONE,
})

Tags = tuple[tuple[str, str], ...]


def _tags(raw: list[dict[str, str]] | None) -> Tags:
    return tuple((t["Key"], t["Value"]) for t in raw or ())


@dataclass(frozen=True)
class Snapshot:
    id: str
    arn: str
    instance: str
    status: str
    snapshot_type: str  # manual | automated
    created_at: datetime | None
    tags: Tags = ()

    def tag(self, key: str) -> str | None:
        return dict(self.tags).get(key)

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Snapshot:
        return cls(id=raw["DBSnapshotIdentifier"], arn=raw.get("DBSnapshotArn", ""),
                   instance=raw.get("DBInstanceIdentifier", ""), status=raw.get("Status", ""),
                   snapshot_type=raw.get("SnapshotType", ""),
                   created_at=raw.get("SnapshotCreateTime"), tags=_tags(raw.get("TagList")))


@dataclass(frozen=True)
class DbInstance:
    id: str
    arn: str
    status: str
    host: str | None
    port: int | None
    tags: Tags = ()

    def tag(self, key: str) -> str | None:
        return dict(self.tags).get(key)

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}" if self.host else "(no endpoint yet)"

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> DbInstance:
        endpoint = raw.get("Endpoint") or {}
        return cls(id=raw["DBInstanceIdentifier"], arn=raw.get("DBInstanceArn", ""),
                   status=raw.get("DBInstanceStatus", ""), host=endpoint.get("Address"),
                   port=endpoint.get("Port"), tags=_tags(raw.get("TagList")))


@dataclass(frozen=True)
class Waited:
    """The outcome of waiting for a snapshot or instance to become available."""

    resource: str
    status: str  # the last status seen
    measurement: Measurement
    available_at: float | None = None  # monotonic instant ``available`` was first seen

    @property
    def succeeded(self) -> bool:
        return self.status == AVAILABLE

    @property
    def failed(self) -> bool:
        return not self.succeeded

    def describe(self) -> str:
        how = "reached" if self.succeeded else "did NOT reach"
        return (f"{self.resource} {how} available in {self.measurement.seconds:.2f} s "
                f"(last status {self.status!r}, polled every {self.measurement.resolution_seconds} s)")


@dataclass(frozen=True)
class Removed:
    """What a cleanup deleted in one tier."""

    tier: str
    snapshots: tuple[str, ...]
    instances: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.snapshots) + len(self.instances)


def _call(world: World, tier: str, what: str, operation: str, **params: Any) -> Any:
    try:
        return execute(world, AwsCall(tier, "rds", operation, params, why=what))
    except (BotoCoreError, ClientError) as exc:
        raise AwsOperationError(f"{what} failed: {exc}", where=_where(world, tier),
                                fix="check the identifier, the tier's credentials and the "
                                    "RDS quotas, then re-run") from exc


def _unless_gone(world: World, tier: str, what: str, operation: str, fix: str,
                 **params: Any) -> Any | None:
    """The call's answer, or None when RDS says the resource does not exist."""
    try:
        return execute(world, AwsCall(tier, "rds", operation, params, why=what))
    except ClientError as exc:
        if _is_not_found(exc):
            return None
        raise AwsOperationError(f"{what} failed: {exc}", where=_where(world, tier),
                                fix=fix) from exc


def _where(world: World, tier: str) -> str:
    t = world.tier(tier)
    return f"tier {t.name} (account {t.account_id})"


def _is_not_found(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code", "") in (
        "DBSnapshotNotFound", "DBSnapshotNotFoundFault", "DBInstanceNotFound",
        "DBInstanceNotFoundFault")


# --- snapshots --------------------------------------------------------------------------------

def take_snapshot(world: World, tier: str, name: str, tags: Mapping[str, str]) -> Snapshot:
    """Start a manual snapshot of the tier's database instance, tagged (values sanitised)."""
    instance = world.tier(tier).db_instance
    naming.check_identifier(name, max_len=naming.SNAPSHOT_ID_MAX, what="snapshot identifier")
    raw = _call(world, tier, f"create-db-snapshot {name} of {instance}", "create_db_snapshot",
                DBInstanceIdentifier=instance, DBSnapshotIdentifier=name,
                Tags=naming.rds_tags(tags))
    return Snapshot.from_api(raw["DBSnapshot"])


def describe_snapshot(world: World, tier: str, snapshot_id: str) -> Snapshot | None:
    raw = _unless_gone(world, tier, f"describe-db-snapshots {snapshot_id}",
                       "describe_db_snapshots", "check the tier's credentials",
                       DBSnapshotIdentifier=snapshot_id)
    found = raw.get("DBSnapshots", []) if raw else []
    return Snapshot.from_api(found[0]) if found else None


def manual_snapshots(world: World, tier: str) -> list[Snapshot]:
    """Every manual snapshot of the tier's account (automated ones are never ours)."""
    client = world.client(tier, "rds")
    pages = client.get_paginator("describe_db_snapshots").paginate(SnapshotType="manual")
    try:
        return [Snapshot.from_api(s) for page in pages for s in page.get("DBSnapshots", [])]
    except (BotoCoreError, ClientError) as exc:
        raise AwsOperationError(f"describe-db-snapshots failed: {exc}", where=_where(world, tier),
                                fix="check the tier's credentials") from exc


def wait_available(world: World, tier: str, snapshot_id: str, *, deadline_s: float,
                   interval_s: float) -> Waited:
    """Poll the snapshot until available, a failure status, or the deadline."""
    def probe() -> str:
        snap = describe_snapshot(world, tier, snapshot_id)
        return snap.status if snap else GONE
    return _wait(f"snapshot {snapshot_id}", probe, deadline_s=deadline_s, interval_s=interval_s)


def find_pre_promotion_snapshot(world: World, tier: str, cycle: str) -> Snapshot | None:
    """The newest manual snapshot named by the topology's template for ``cycle``."""
    pattern = naming.snapshot_pattern(world.topology.snapshot_template, cycle)
    matches = [s for s in manual_snapshots(world, tier) if pattern.match(s.id)]
    return max(matches, key=lambda s: s.id, default=None)


def delete_snapshot(world: World, tier: str, snapshot_id: str) -> bool:
    """Delete a snapshot; False when it was already gone."""
    return _unless_gone(world, tier, f"delete-db-snapshot {snapshot_id}", "delete_db_snapshot",
                        "delete it by hand (aws rds delete-db-snapshot)",
                        DBSnapshotIdentifier=snapshot_id) is not None


# --- instances --------------------------------------------------------------------------------

def restore_to_new_instance(world: World, tier: str, snapshot_id: str, instance_id: str,
                            tags: Mapping[str, str]) -> DbInstance:
    """Start restoring ``snapshot_id`` into a NEW instance (RDS never restores in place)."""
    naming.check_identifier(instance_id, max_len=naming.INSTANCE_ID_MAX,
                            what="restored instance identifier")
    raw = _call(world, tier, f"restore-db-instance-from-db-snapshot {snapshot_id} -> "
                f"{instance_id}", "restore_db_instance_from_db_snapshot",
                DBInstanceIdentifier=instance_id, DBSnapshotIdentifier=snapshot_id,
                Tags=naming.rds_tags(tags))
    return DbInstance.from_api(raw["DBInstance"])


def describe_instance(world: World, tier: str, instance_id: str) -> DbInstance | None:
    raw = _unless_gone(world, tier, f"describe-db-instances {instance_id}",
                       "describe_db_instances", "check the tier's credentials",
                       DBInstanceIdentifier=instance_id)
    found = raw.get("DBInstances", []) if raw else []
    return DbInstance.from_api(found[0]) if found else None


def instances(world: World, tier: str) -> list[DbInstance]:
    pages = world.client(tier, "rds").get_paginator("describe_db_instances").paginate()
    try:
        return [DbInstance.from_api(i) for page in pages for i in page.get("DBInstances", [])]
    except (BotoCoreError, ClientError) as exc:
        raise AwsOperationError(f"describe-db-instances failed: {exc}", where=_where(world, tier),
                                fix="check the tier's credentials") from exc


def wait_instance_available(world: World, tier: str, instance_id: str, *, deadline_s: float,
                            interval_s: float) -> Waited:
    def probe() -> str:
        inst = describe_instance(world, tier, instance_id)
        return inst.status if inst else GONE
    return _wait(f"instance {instance_id}", probe, deadline_s=deadline_s, interval_s=interval_s)


def delete_instance(world: World, tier: str, instance_id: str) -> bool:
    """Delete an instance the harness created (no final snapshot); False when already gone."""
    if instance_id == world.tier(tier).db_instance:
        raise AwsOperationError(f"refusing to delete {instance_id}: it is the tier's own database",
                                where=_where(world, tier),
                                fix="only instances a drill restored may be deleted")
    return _unless_gone(world, tier, f"delete-db-instance {instance_id}", "delete_db_instance",
                        "delete it by hand (aws rds delete-db-instance)",
                        DBInstanceIdentifier=instance_id, SkipFinalSnapshot=True,
                        DeleteAutomatedBackups=True) is not None


# --- drill leftovers --------------------------------------------------------------------------

def drill_resources(world: World, tier: str, drill_id: str | None = None
                    ) -> tuple[list[Snapshot], list[DbInstance]]:
    """Snapshots and instances tagged by a drill (``drill_id``, or any drill when None).
    Instances already being deleted are not listed: they are on their way out."""
    def ours(value: str | None) -> bool:
        return value is not None and (drill_id is None or value == drill_id)
    snaps = [s for s in manual_snapshots(world, tier) if ours(s.tag(naming.TAG_DRILL_ID))]
    insts = [i for i in instances(world, tier)
             if ours(i.tag(naming.TAG_DRILL_ID)) and i.status != "deleting"]
    return snaps, insts


def remove_drill_resources(world: World, tier: str, drill_id: str | None = None, *,
                           keep_instances: bool = False) -> Removed:
    """Delete what a drill created in ``tier``: restored instances first (unless
    ``keep_instances``: the application may still use one), then snapshots."""
    snaps, insts = drill_resources(world, tier, drill_id)
    gone_i = () if keep_instances else tuple(
        i.id for i in insts if delete_instance(world, tier, i.id))
    gone_s = tuple(s.id for s in snaps if delete_snapshot(world, tier, s.id))
    return Removed(tier, gone_s, gone_i)


def _wait(resource: str, probe: Any, *, deadline_s: float, interval_s: float) -> Waited:
    watch = Stopwatch()
    outcome = poll_until(probe, lambda s: s == AVAILABLE or s in FAILED_STATUSES,
                         interval=interval_s, deadline_s=deadline_s,
                         what=f"{resource} available")
    status = str(outcome.last)
    if status == AVAILABLE and outcome.succeeded_at is not None:
        watch.mark("available", at=outcome.succeeded_at)
    note = "" if status == AVAILABLE else (
        f"stopped at status {status!r}" if status in FAILED_STATUSES
        else f"deadline of {deadline_s:.0f} s reached at status {status!r}")
    # A wait has a deadline, not a target of its own: no RTO line on its timeline.
    measurement = watch.measure(f"{resource} available", target_seconds=None,
                                resolution_seconds=interval_s, completed=status == AVAILABLE,
                                note=note, deadline_seconds=deadline_s)
    return Waited(resource, status, measurement,
                  outcome.succeeded_at if status == AVAILABLE else None)
