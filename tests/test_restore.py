"""Layer-2 restore with its phases: the happy path, and each phase failing on its own."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from harness import naming
from harness.backend.aws import AwsBackend
from harness.backend.sim.backend import SIM_RDS_POLL_S
from harness.backend.sim.dataplane import DataPlane, corrupt_one_row
from harness.io.aws import rds
from harness.io.db import fingerprint as fp
from harness.io.db.endpoints import DsnDatabases
from harness.rollback import restore
from harness.rollback.datacheck import AFTER, BEFORE, judge
from harness.world import World

# The sim's rollout latencies pass on a virtual clock: these tests are about what recovers,
# not how long it takes (tests/test_layer1.py measures that in real time).
pytestmark = pytest.mark.usefixtures("virtual_time")


def run_restore(world: World, baseline: restore.Baseline, instance: str = "invapp-staging-postgres-r1",
                repoint: restore.Repoint | None = None) -> restore.DataRecovery:
    return restore.restore_and_verify(
        world, "staging", baseline.snapshot.id, instance_id=instance,
        tags=naming.drill_tags(baseline.drill_id), expected=baseline.fingerprint,
        drill_id=baseline.drill_id, repoint=repoint)


def test_baseline_then_restore_verifies_the_copy_phase_by_phase(world: World) -> None:
    baseline = restore.take_baseline(world, "staging", "d1")
    assert baseline.snapshot.tag(naming.TAG_DRILL_ID) == "d1"
    source = world.databases.source_dsn(world.tier("staging"))
    assert fp.canary_markers(source, "d1") == {BEFORE, AFTER}
    result = run_restore(world, baseline, repoint=lambda inst: restore.Repointed(True, "ok"))
    assert result.succeeded and result.verdict is not None and result.verdict.ok
    m = result.measurement
    assert m.name == "data RTO" and m.completed and m.met and m.target_seconds == 3600
    assert m.subject == "invapp-staging-postgres-r1"
    assert m.deadline_seconds == world.topology.rds_deadline
    assert [p.name for p in m.phases] == list(restore.PHASES)
    offsets = [p.offset_s for p in m.phases]
    assert offsets == sorted(offsets) and offsets[-1] == m.seconds, "the RTO ends at the last phase"
    assert m.resolution_seconds == world.topology.rds_poll_s == SIM_RDS_POLL_S


def test_a_restore_that_never_becomes_available_fails_naming_that_phase(
        world: World, dataplane: DataPlane) -> None:
    baseline = restore.take_baseline(world, "staging", "d2")
    dataplane.faults = frozenset({"restore-fails"})
    result = run_restore(world, baseline)
    assert result.failed_phase == restore.INSTANCE_AVAILABLE
    assert not result.measurement.completed and not result.measurement.met
    assert "incompatible-restore" in result.reason


def test_a_corrupted_copy_fails_at_data_verified_and_is_not_repointed(
        world: World, dataplane: DataPlane) -> None:
    baseline = restore.take_baseline(world, "staging", "d3")
    dataplane.faults = frozenset({"corrupt-restore"})
    repointed: list[str] = []
    result = run_restore(world, baseline,
                         repoint=lambda inst: repointed.append(inst.id) or restore.Repointed(True, ""))
    assert result.failed_phase == restore.DATA_VERIFIED and repointed == []
    assert "public.documents: 1999 rows, expected 2000" in result.reason
    assert [p.name for p in result.measurement.phases] == [restore.RESTORE_CALL,
                                                           restore.INSTANCE_AVAILABLE]


def test_a_copy_changed_after_the_restore_is_caught_by_the_fingerprint(world: World) -> None:
    """Corrupt the restored copy directly (no fault): same rows count, different content."""
    baseline = restore.take_baseline(world, "staging", "d4")
    inst = rds.restore_to_new_instance(world, "staging", baseline.snapshot.id, "hand-corrupted", {})
    assert inst.host is not None
    dsn = world.databases.endpoint_dsn(world.tier("staging"), inst.host, inst.port)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE app_settings SET value = 'tampered' WHERE key = 'locale'")
    actual = fp.fingerprint(dsn)
    verdict = judge(baseline.fingerprint, actual, fp.canary_markers(dsn, "d4"))
    assert not verdict.ok
    assert verdict.problems() == ["public.app_settings: same 2 rows but different content (hash)"]
    assert corrupt_one_row(dsn) == "public.documents"


def test_an_unhealthy_repoint_fails_at_the_last_phase(world: World) -> None:
    baseline = restore.take_baseline(world, "staging", "d5")
    result = run_restore(world, baseline, repoint=lambda inst: restore.Repointed(False, "503"))
    assert result.failed_phase == restore.APP_HEALTHY and result.reason == "503"


def test_real_mode_unreachable_endpoint_says_the_data_path_was_not_verified(world: World) -> None:
    baseline = restore.take_baseline(world, "staging", "d6")
    staging = replace(world.tier("staging"), dsn_env="HARNESS_STAGING_DSN")
    # The sim's accounts, but databases reached by DSN as on real accounts.
    topology = replace(world.topology, tiers={**world.topology.tiers, "staging": staging})
    real = World(AwsBackend(topology, DsnDatabases(
        {"HARNESS_STAGING_DSN": "postgresql://app:pw@127.0.0.1:1/app"})))
    result = run_restore(real, baseline)
    assert result.failed_phase == restore.DATA_VERIFIED
    assert result.reason.startswith("data path NOT verified: restored instance")
    assert not result.succeeded and not result.measurement.met
