"""RDS snapshots and restores against moto (sim world): tags, polling, the pre-promotion
lookup, the guard, and drill cleanup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness import naming
from harness.backend.sim.dataplane import DataPlane
from harness.errors import AwsOperationError, GuardRefusal
from harness.io.aws import rds
from harness.world import World

AT = datetime(2026, 5, 29, 0, 37, 33, tzinfo=UTC)


def pre_promote(world: World, cycle: str, at: datetime) -> rds.Snapshot:
    name = naming.snapshot_identifier(world.topology.snapshot_template, cycle, at)
    return rds.take_snapshot(world, "staging", name, {naming.TAG_CYCLE: cycle})


def test_snapshot_is_tagged_with_sanitised_values_and_polled_until_available(world: World) -> None:
    snap = rds.take_snapshot(world, "staging", "invapp-staging-postgres-drill-x",
                             naming.drill_tags("x", {naming.TAG_REASON: "why (really)?"}))
    assert snap.instance == "invapp-staging-postgres"
    waited = rds.wait_available(world, "staging", snap.id, deadline_s=5, interval_s=0.01)
    assert waited.succeeded and waited.measurement.completed
    assert waited.measurement.resolution_seconds == 0.01 and waited.available_at is not None
    found = rds.describe_snapshot(world, "staging", snap.id)
    assert found is not None and found.tag(naming.TAG_REASON) == "why _really__"
    assert found.tag(naming.TAG_DRILL_ID) == "x" and found.snapshot_type == "manual"


def test_waiting_for_a_missing_snapshot_stops_at_once_and_says_so(world: World) -> None:
    waited = rds.wait_available(world, "staging", "nope", deadline_s=5, interval_s=0.01)
    assert waited.failed and waited.status == rds.GONE
    assert waited.measurement.seconds < 1 and not waited.measurement.completed
    assert "did NOT reach available" in waited.describe()


def test_pre_promotion_snapshot_is_the_newest_manual_one_of_that_cycle(world: World) -> None:
    pre_promote(world, "NQU-865", AT)
    newest = pre_promote(world, "NQU-865", AT + timedelta(hours=1))
    pre_promote(world, "NQU-8650", AT + timedelta(hours=2))
    found = rds.find_pre_promotion_snapshot(world, "staging", "nqu 865")
    assert found is not None and found.id == newest.id
    assert rds.find_pre_promotion_snapshot(world, "staging", "NQU-1") is None
    automated = [s for s in world.client("staging", "rds").describe_db_snapshots()["DBSnapshots"]
                 if s["SnapshotType"] == "automated"]
    assert automated, "moto gives every instance an automated snapshot; the lookup must skip it"


def test_a_snapshot_of_production_needs_the_explicit_flag(world: World) -> None:
    with pytest.raises(GuardRefusal, match="without the explicit flag"):
        rds.take_snapshot(world, "prod", "invapp-dev-rds-20260529003733-pre-promote-x", {})


def test_restore_creates_a_new_tagged_instance_with_its_own_endpoint(world: World) -> None:
    snap = rds.take_snapshot(world, "staging", "s-restore", naming.drill_tags("d1"))
    inst = rds.restore_to_new_instance(world, "staging", snap.id, "invapp-staging-postgres-restore-1",
                                       naming.drill_tags("d1"))
    waited = rds.wait_instance_available(world, "staging", inst.id, deadline_s=5, interval_s=0.01)
    assert waited.succeeded
    found = rds.describe_instance(world, "staging", inst.id)
    assert found is not None and found.host and found.host.startswith(inst.id + ".")
    assert found.tag(naming.TAG_DRILL_ID) == "d1"


def test_a_restore_that_fails_stops_the_wait_at_the_failure_status(
        world: World, dataplane: DataPlane) -> None:
    dataplane.faults = frozenset({"restore-fails"})
    snap = rds.take_snapshot(world, "staging", "s-fails", {})
    rds.restore_to_new_instance(world, "staging", snap.id, "r-fails", {})
    waited = rds.wait_instance_available(world, "staging", "r-fails", deadline_s=30, interval_s=0.01)
    assert waited.failed and waited.status == "incompatible-restore"
    assert waited.measurement.seconds < 1, "a terminal status must not wait for the deadline"


def test_cleanup_removes_only_what_the_drill_tagged(world: World) -> None:
    mine = rds.take_snapshot(world, "staging", "s-mine", naming.drill_tags("d-mine"))
    other = rds.take_snapshot(world, "staging", "s-other", naming.drill_tags("d-other"))
    untagged = rds.take_snapshot(world, "staging", "s-untagged", {})
    rds.restore_to_new_instance(world, "staging", mine.id, "r-mine", naming.drill_tags("d-mine"))
    removed = rds.remove_drill_resources(world, "staging", "d-mine")
    assert removed.snapshots == ("s-mine",) and removed.instances == ("r-mine",)
    left = {s.id for s in rds.manual_snapshots(world, "staging")}
    assert {other.id, untagged.id} <= left and mine.id not in left
    assert rds.remove_drill_resources(world, "staging").snapshots == ("s-other",)
    assert rds.describe_instance(world, "staging", "invapp-staging-postgres") is not None


def test_the_tiers_own_instance_is_never_deleted(world: World) -> None:
    with pytest.raises(AwsOperationError, match="it is the tier's own database"):
        rds.delete_instance(world, "staging", "invapp-staging-postgres")
