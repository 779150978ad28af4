"""The tier lock against the sim's SSM (moto): one holder, fail fast, stale locks."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from harness.backend.aws import AwsBackend
from harness.backend.sim import SimBackend
from harness.clock import utcnow
from harness.errors import GuardRefusal
from harness.promote import lock as lock_mod
from harness.promote.lock import LockHeld, TierLock
from harness.world import World


@pytest.fixture
def world(sim_backend: SimBackend) -> Iterator[World]:
    """The session's sim without a reset (the lock is the only thing these tests touch, and
    it is removed before and after each): new sessions, so new credentials."""
    fresh = World(sim_backend)
    _drop_locks(fresh)
    yield fresh
    _drop_locks(fresh)


def _drop_locks(world: World) -> None:
    for tier in ("staging", "prod"):
        with contextlib.suppress(ClientError):
            world.client(tier, "ssm").delete_parameter(Name=lock_mod.lock_name(world.tier(tier)))


def other_run(world: World) -> World:
    """A second run: its own sessions and clients, the same accounts."""
    return World(world.backend, allow_prod_write=world.allow_prod_write, topology=world.topology)


def test_a_second_run_is_refused_naming_the_holder_until_release(world: World) -> None:
    first = TierLock(world, "staging", operation="promote", reason="NQU-865 cycle 12", owner="alice@ci")
    first.acquire()
    second = TierLock(other_run(world), "staging", operation="rollback", reason="INC-7", owner="bob@laptop")
    with pytest.raises(LockHeld) as caught:
        second.acquire()
    text = str(caught.value)
    assert "alice@ci" in text and "promote" in text and "NQU-865 cycle 12" in text
    assert lock_mod.lock_name(world.tier("staging")) in text
    assert first.release() is True
    assert second.acquire().owner == "bob@laptop"
    assert second.release() is True and second.current() is None


def race(runs: list[TierLock]) -> tuple[list[str], list[str]]:
    """Start every run's ``acquire`` at the same instant, one thread each."""
    start = threading.Barrier(len(runs))
    won: list[str] = []
    refused: list[str] = []

    def attempt(run: TierLock) -> None:
        start.wait()
        try:
            won.append(run.acquire().owner)
        except LockHeld as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=attempt, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return won, refused


def test_two_concurrent_runs_exactly_one_holds_the_lock(world: World) -> None:
    machines = [other_run(world), other_run(world)]
    for round_no in range(10):
        runs = [TierLock(m, "staging", operation="promote", reason=f"round {round_no}",
                         owner=f"run-{i}") for i, m in enumerate(machines)]
        for run in runs:
            assert run.current() is None  # also warms each run's clients before the race
        won, refused = race(runs)
        assert len(won) == 1 and len(refused) == 1, (won, refused)
        assert f"held by {won[0]}" in refused[0]
        winner = next(r for r in runs if r.info.owner == won[0])
        assert winner.release() is True


def test_a_stale_lock_is_broken_only_with_the_explicit_flag(world: World) -> None:
    crashed = TierLock(world, "staging", operation="promote", reason="c1", owner="crashed-run",
                       ttl_s=60, now=lambda: utcnow() - timedelta(hours=1))
    crashed.acquire()
    later = TierLock(other_run(world), "staging", operation="rollback", reason="INC-9", owner="oncall")
    with pytest.raises(LockHeld) as caught:
        later.acquire()
    assert "STALE" in str(caught.value) and "--break-stale-lock" in str(caught.value)
    assert "crashed-run" in str(caught.value)
    assert later.acquire(break_stale=True).owner == "oncall"
    # The crashed run coming back must not release the lock that is no longer its own.
    assert crashed.release() is False
    assert later.current() is not None and later.current() == later.info
    assert later.release() is True


def test_a_live_lock_is_not_broken_even_with_the_flag(world: World) -> None:
    TierLock(world, "staging", operation="promote", reason="c1", owner="live-run").acquire()
    with pytest.raises(LockHeld, match="live-run"):
        TierLock(other_run(world), "staging", operation="promote", reason="c2").acquire(break_stale=True)


def test_the_lock_is_a_write_behind_the_tier_guard(world: World) -> None:
    with pytest.raises(GuardRefusal, match="explicit flag"):
        TierLock(world, "prod", operation="promote", reason="r").acquire()
    prod = TierLock(World(world.backend, allow_prod_write=True), "prod",
                    operation="promote", reason="r")
    prod.acquire()
    assert prod.release()


def test_a_foreign_value_in_the_lock_parameter_is_refused_not_overwritten(world: World) -> None:
    name = lock_mod.lock_name(world.tier("staging"))
    world.client("staging", "ssm").put_parameter(Name=name, Value="manual hold", Type="String")
    with pytest.raises(LockHeld, match="not a harness lock"):
        TierLock(world, "staging", operation="promote", reason="r").acquire(break_stale=True)
    assert world.client("staging", "ssm").get_parameter(Name=name)["Parameter"]["Value"] == "manual hold"


def test_the_planned_calls_are_create_only() -> None:
    from harness import topology

    top = topology.load()
    lock = TierLock(World(AwsBackend(top)), "prod", operation="promote", reason="r", owner="me")
    put, delete = lock.calls()
    assert put.params["Overwrite"] is False and put.params["Name"] == lock.name
    assert '"owner": "me"' in put.params["Value"] and delete.params == {"Name": lock.name}


def test_cleanup_removes_only_a_lock_a_drill_left_behind(world: World) -> None:
    drill = TierLock(world, "staging", operation="rollback", reason="drill 20261127T0900Z-drill-ab12 step 2")
    drill.acquire()  # the drill was killed before it could release it
    assert lock_mod.remove_drill_lock(world, "staging", "some-other-drill") is None
    removed = lock_mod.remove_drill_lock(world, "staging", "20261127T0900Z-drill-ab12")
    assert removed is not None and removed.token == drill.info.token
    assert drill.current() is None
    promote = TierLock(world, "staging", operation="promote", reason="NQU-865 cycle 12")
    promote.acquire()
    assert lock_mod.remove_drill_lock(world, "staging") is None
    assert promote.current() is not None and promote.release()
