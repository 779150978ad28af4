"""Every ECS, ECR, RDS, SSM and Secrets Manager write goes through a wrapper that calls the
tier guard: each write wrapper refuses a tier whose account is not the caller's, before any
write reaches AWS; and no module reaches a boto3 client past those wrappers to write."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from harness.backend.sim import SimBackend
from harness.errors import GuardRefusal
from harness.io.aws import ecr, rds
from harness.io.aws import secrets as db_secret
from harness.io.aws.calls import READ_PREFIXES, AwsCall, CallLog, execute
from harness.io.aws.ecs import EcsService
from harness.promote.lock import TierLock, remove_drill_lock
from harness.world import World

ROOT = Path(__file__).resolve().parents[1]
WRONG_ACCOUNT = "111111111111"


@pytest.fixture
def misnamed(sim_backend: SimBackend) -> World:
    """Prod's own credentials, but a topology that says prod lives in another account: the
    guard must refuse every write (reads still work, so each wrapper gets as far as its write)."""
    sim_backend.reset()
    prod = replace(sim_backend.topology.tier("prod"), account_id=WRONG_ACCOUNT)
    topology = replace(sim_backend.topology, tiers={**sim_backend.topology.tiers, "prod": prod})
    return World(sim_backend, allow_prod_write=True, topology=topology)


def _copy_plan(world: World) -> ecr.ImagePlan:
    staging_sha = EcsService(world, "staging").current().sha
    assert staging_sha is not None
    source = ecr.find_image(world, "staging", staging_sha)
    assert source is not None
    target = ecr.repository(world, "prod")
    put = AwsCall("prod", "ecr", "put_image", {"repositoryName": target.name,
                                               "imageManifest": source.manifest,
                                               "imageTag": "guard-test"})
    return ecr.ImagePlan("copy", "guard-test", target, None, source, put)


WRITES: dict[str, Callable[[World], object]] = {
    "ecs register_copy": lambda w: EcsService(w, "prod").register_copy(
        EcsService(w, "prod").current(), image="repo:guard"),
    "ecs deregister": lambda w: EcsService(w, "prod").deregister(EcsService(w, "prod").current()),
    "ecs swap": lambda w: EcsService(w, "prod").swap(EcsService(w, "prod").current()),
    "rds take_snapshot": lambda w: rds.take_snapshot(w, "prod", "guard-test-snap", {}),
    "rds delete_snapshot": lambda w: rds.delete_snapshot(w, "prod", "guard-test-snap"),
    "rds restore_to_new_instance": lambda w: rds.restore_to_new_instance(
        w, "prod", "guard-test-snap", "guard-test-restore", {}),
    "rds delete_instance": lambda w: rds.delete_instance(w, "prod", "guard-test-restore"),
    "secrets write_db_host": lambda w: db_secret.write_db_host(w, "prod", "elsewhere.local", 5432),
    "ecr ensure_image (copy)": lambda w: ecr.ensure_image(w, _copy_plan(w)),
    "ssm lock acquire": lambda w: TierLock(w, "prod", operation="t", reason="r").acquire(),
    "ssm lock release": lambda w: _held_by_right_account(w, "promote", "NQU-1: r",
                                                         lambda lock: lock.release()),
    "ssm drill lock removal": lambda w: _held_by_right_account(
        w, "rollback", "drill d-1 step 2", lambda lock: remove_drill_lock(w, "prod", "d-1")),
    "any write through execute": lambda w: execute(w, AwsCall("prod", "ssm", "put_parameter", {
        "Name": "/guard/test", "Value": "x", "Type": "String"})),
}


def _held_by_right_account(world: World, operation: str, reason: str,
                           remove: Callable[[TierLock], object]) -> object:
    """A lock must be held for its removal to reach the write: take it with the right
    account, then remove it through ``world`` (the lock object shares its token)."""
    right = World(world.backend, allow_prod_write=True)
    held = TierLock(right, "prod", operation=operation, reason=reason)
    held.acquire()
    mine = TierLock(world, "prod", operation=operation, reason=reason)
    mine.info = held.info
    try:
        return remove(mine)
    finally:
        held.release()


@pytest.mark.parametrize("name", sorted(WRITES))
def test_each_write_wrapper_refuses_a_tier_in_another_account(name: str, misnamed: World) -> None:
    log = CallLog()
    with log.recording(misnamed, ["prod", "staging"], ("ecs", "ecr", "rds", "ssm",
                                                        "secretsmanager")), \
            pytest.raises(GuardRefusal) as refused:
        WRITES[name](misnamed)
    assert WRONG_ACCOUNT in str(refused.value) and "760007728097" in str(refused.value)
    assert [c.operation for c in log.writes] == [], f"{name} wrote before the guard refused"


def test_the_same_writes_pass_the_guard_with_the_right_account(sim_backend: SimBackend) -> None:
    # The refusals above are the guard's, not a broken wrapper: with the account right, the
    # first write of the list goes through.
    sim_backend.reset()
    world = World(sim_backend, allow_prod_write=True)
    ecs = EcsService(world, "prod")
    registered = ecs.register_copy(ecs.current(), image="repo:guard")
    assert registered.number == ecs.revision_numbers()[-1]


# --- nothing reaches a client past the wrappers to write ------------------------------------

# Modules that hold a boto3 client themselves (everything else goes through execute).
DIRECT_CLIENTS = {"harness/world.py", "harness/promote/inventory.py", "harness/io/aws/session.py",
                  "harness/io/aws/rds.py", "harness/io/aws/calls.py", "steps/safety.py"}
# What those modules may touch on a client: reads, paginators, its metadata, STS credentials.
ALLOWED = (*READ_PREFIXES, "get_paginator", "meta", "exceptions", "assume_role")


def _client_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, attribute) for every attribute read on a boto3 client: ``x.client(...).attr`` or
    ``name.attr`` where ``name`` was bound to ``x.client(...)``."""
    def is_client_call(node: ast.AST) -> bool:
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "client")

    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            pairs = []
            for target in node.targets:
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs += list(zip(target.elts, node.value.elts, strict=False))
                else:
                    pairs.append((target, node.value))
            names |= {t.id for t, v in pairs if isinstance(t, ast.Name) and is_client_call(v)}
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (
                is_client_call(node.value)
                or (isinstance(node.value, ast.Name) and node.value.id in names)):
            uses.append((node.lineno, node.attr))
    return uses


def test_no_module_writes_through_a_client_of_its_own() -> None:
    holders, offenders = set(), []
    for path in [*(ROOT / "harness").rglob("*.py"), *(ROOT / "steps").glob("*.py")]:
        rel = str(path.relative_to(ROOT))
        if rel.startswith("harness/backend/sim/"):
            continue  # the sim seeds its own moto accounts
        uses = _client_uses(ast.parse(path.read_text(encoding="utf-8")))
        if uses:
            holders.add(rel)
        offenders += [f"{rel}:{line} .{attr}" for line, attr in uses
                      if not attr.startswith(ALLOWED)]
    assert holders <= DIRECT_CLIENTS, sorted(holders - DIRECT_CLIENTS)
    assert not offenders, offenders
