"""A drill killed with SIGKILL (no finaliser runs) during step 1, step 2 or step 4 on the AWS
stand-in (tests/standin.py), then `harness cleanup`: the service is back on the revision it ran
before the drill and healthy, no drill-tagged revision is ACTIVE, no tagged instance, snapshot,
lock, canary row or undo record is left, and cleanup exits 0 only then. Checked from outside
the harness: ECS, SSM, RDS and the databases are read directly."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness import naming
from harness.io.aws import rds
from harness.io.aws import secrets as db_secret
from harness.io.aws.ecs import EcsService
from harness.io.db import fingerprint as fp
from harness.io.http.health import HealthClient
from harness.promote.lock import TierLock
from harness.rollback.rollout import json_path, judge
from harness.undo import store
from harness.world import World
from tests import iam
from tests.cli_worker import CliResult
from tests.standin import ROOT, StandIn, environment, standin

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    with standin(tmp_path_factory.mktemp("standin-kill"), latency=0.3, delay=0.2) as world:
        yield world


@dataclass(frozen=True)
class Before:
    revision: str
    sha: str
    db_host: str
    databases: frozenset[str]


def before_drill(aws: StandIn, world: World) -> Before:
    ecs = EcsService(world, "staging")
    current = ecs.current()
    assert current.sha and not current.tags.get(naming.TAG_DRILL_ID)
    return Before(current.arn, current.sha, db_secret.read_db_host(world, "staging").host,
                  frozenset(aws.databases()))


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen[str],
               timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"the drill ended (code {proc.returncode}) before the kill "
                                 f"point: {out[-2000:]}")
        assert time.monotonic() < deadline, "the kill point was never reached"
        time.sleep(0.02)


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL


def drill_revision_serves(world: World) -> Callable[[], bool]:
    ecs = EcsService(world, "staging")
    return lambda: bool(ecs.current().tags.get(naming.TAG_DRILL_ID))


def lock_held(world: World) -> Callable[[], bool]:
    lock = TierLock(world, "staging", operation="check", reason="check")
    return lambda: lock.current() is not None


def secret_moved(world: World, before: str) -> Callable[[], bool]:
    return lambda: db_secret.read_db_host(world, "staging").host != before


def assert_clean(aws: StandIn, world: World, before: Before) -> None:
    """The tier as it was before the drill, read directly from the stand-in."""
    ecs = EcsService(world, "staging")
    state = ecs.state()
    assert state.task_definition == before.revision
    assert state.primary is not None and judge(state, state.primary.id).completed, state
    reading = HealthClient(world.tier("staging")).read()
    assert reading.running(before.sha), reading.describe(before.sha)
    assert json_path(reading.health.body, "database.host") == before.db_host
    assert db_secret.read_db_host(world, "staging").host == before.db_host
    active = [ecs.describe(n) for n in ecs.revision_numbers()]
    assert not [r.label for r in active if r.tags.get(naming.TAG_DRILL_ID)]
    snaps, instances = rds.drill_resources(world, "staging")
    assert not snaps and not instances, (snaps, instances)
    assert TierLock(world, "staging", operation="c", reason="c").current() is None
    assert store.read_records(world, "staging") == []
    assert fp.count_canaries(aws.instance_dsn("staging", "invapp-staging-postgres")) == 0
    assert aws.databases() == before.databases


def cleanup(aws: StandIn) -> CliResult:
    return aws.harness("cleanup", "--topology", str(aws.topology), "--tier", "staging")


KILL_POINTS: dict[str, tuple[str, Callable[[World, Before], Callable[[], bool]]]] = {
    # step 1: the broken image is what the service asks for
    "step1": ("step1", lambda w, b: drill_revision_serves(w)),
    # step 2: the revert holds the tier lock (taken after the broken image went live)
    "step2": ("step2", lambda w, b: lock_held(w)),
    # step 4: the DB-host secret names the restored copy, its deployment in flight
    "step4": ("step4", lambda w, b: secret_moved(w, b.db_host)),
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_a_drill_killed_mid_step_is_undone_by_cleanup(aws: StandIn, tmp_path: Path,
                                                      point: str) -> None:
    marker, reached = KILL_POINTS[point]
    with environment(aws.env):
        world = aws.world()
        before = before_drill(aws, world)
        drill = subprocess.Popen(aws.features_argv(marker, tmp_path), cwd=ROOT, env=aws.env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_until(reached(world, before), drill)
        kill(drill)
        left: list[Any] = store.read_records(world, "staging")
        assert left, "the killed drill left no undo record"
        first = cleanup(aws)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "is clean of what any drill left, verified afterwards" in first.stdout
        assert_clean(aws, world, before)
        again = cleanup(aws)
        assert again.returncode == 0 and "nothing any drill changed was left" in again.stdout, \
            again.stdout


def restored(aws: StandIn, world: World) -> bool:
    """The restore completed: its instance is listed and its data copied (the stand-in copies
    the data just after the instance appears; a cleanup in between would drop nothing and
    leave the copy made after it)."""
    instances = rds.drill_resources(world, "staging")[1]
    return bool(instances) and {aws.instance_database("staging", i.id)
                                for i in instances} <= aws.databases()


def test_a_drill_killed_while_its_restore_is_in_flight_is_undone(aws: StandIn,
                                                                  tmp_path: Path) -> None:
    (aws.state / "hold-restores").touch()
    try:
        with environment(aws.env):
            world = aws.world()
            before = before_drill(aws, world)
            drill = subprocess.Popen(aws.features_argv("step4", tmp_path), cwd=ROOT,
                                     env=aws.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
            wait_until((aws.state / "restore-started").exists, drill)
            kill(drill)
            (aws.state / "release").touch()
            deadline = time.monotonic() + 30
            while not restored(aws, world):
                assert time.monotonic() < deadline, "the restore in flight never completed"
                time.sleep(0.05)
            first = cleanup(aws)
            assert first.returncode == 0, first.stdout + first.stderr
            assert "restored instances: deleted invapp-staging-postgres-restore-" in first.stdout
            assert "canary rows: removed 2 row(s)" in first.stdout
            assert_clean(aws, world, before)
    finally:
        for name in ("hold-restores", "restore-started", "release"):
            (aws.state / name).unlink(missing_ok=True)


def test_cleanup_exits_1_until_the_tier_is_verified_clean(aws: StandIn) -> None:
    """A drill revision serving with no undo record (the tags are the record), while a
    promotion holds the tier lock: cleanup may not touch the service and says so (exit 1);
    once the lock is gone it puts the service back where the drill's copy came from."""
    with environment(aws.env):
        world = aws.world()
        before = before_drill(aws, world)
        ecs = EcsService(world, "staging")
        good = ecs.current()
        broken = ecs.register_copy(good, environment={"HARNESS_DRILL_BREAK": "1"}, tags={
            naming.TAG_DRILL_ID: "d-untracked", naming.TAG_COPIED_FROM: good.arn})
        ecs.swap(broken)
        promotion = TierLock(world, "staging", operation="promote", reason="NQU-1: promote")
        promotion.acquire()
        try:
            blocked = cleanup(aws)
        finally:
            promotion.release()
        assert blocked.returncode == 1, blocked.stdout
        assert "service: NOT cleaned: the service was not touched" in blocked.stdout
        assert "tier staging is NOT verified clean" in blocked.stdout
        done = cleanup(aws)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"service: back on {good.label}, verified healthy" in done.stdout
        assert_clean(aws, world, before)



def test_cleanup_calls_exactly_what_its_iam_policy_allows(aws: StandIn) -> None:
    seen = iam.recorded(aws.call_log("cleanup"))
    assert seen, "no call of cleanup was logged"
    problems = iam.check("cleanup", seen)
    assert not problems, "\n".join(problems)
