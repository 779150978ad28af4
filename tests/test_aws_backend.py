"""The real path, proven against an AWS stand-in the harness does not own (tests/standin.py):
the drill, rollback, gate and promote features with ``--backend aws``, each run in a process
that imports no sim module and no moto; the drill's data path through the topology's
``db_tunnel``; the repoint and a same-SHA promote recovered only once a new deployment has
replaced the old tasks (with rollout latency L, the data RTO's repoint phase lasts >= L)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import naming
from harness.clock import poll_until
from harness.drill.data_restore import repoint_app
from harness.io.aws import rds
from harness.io.aws import secrets as db_secret
from harness.io.http.health import HealthClient
from harness.migrations.discovery import MigrationPattern, discover
from harness.migrations.runner import applied_versions, apply_up
from harness.rollback.recovery import service
from harness.rollback.restore import APP_HEALTHY, DATA_VERIFIED
from harness.rollback.rollout import json_path
from harness.undo.replay import replay
from tests import iam
from tests.standin import ROOT, StandIn, environment, standin

pytestmark = pytest.mark.slow
LATENCY_S, DELAY_S = 0.3, 0.2
PLANS: dict[str, list[str]] = {"promote": [], "rollback": []}  # what --plan printed


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    with standin(tmp_path_factory.mktemp("standin"), latency=LATENCY_S, delay=DELAY_S) as world:
        yield world


def evidence(reports: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((reports / "latest" / "evidence.json").read_text())
    return doc


def phases(measurement: dict[str, Any]) -> dict[str, float]:
    return {p["name"]: p["offset_s"] for p in measurement["phases"]}


def test_the_drill_passes_with_its_data_path_through_the_db_tunnel(aws: StandIn,
                                                                   tmp_path: Path) -> None:
    run = aws.harness("drill", "--backend", "aws", "--topology", str(aws.topology),
                      "--reports", str(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    doc = evidence(tmp_path)
    assert doc["backend"] == "aws" and not doc["simulated"] and doc["verdict"] == "pass"
    assert len(doc["checks"]) == 7 and all(c["status"] == "passed" for c in doc["checks"])
    by_name = {m["name"]: m for m in doc["measurements"]}
    app, data = by_name["application RTO"], by_name["data RTO"]
    assert app["seconds"] >= LATENCY_S and "deployment completed" in phases(app)
    # The repoint (secret, then a new deployment that replaced the tasks) is in the data RTO.
    data_phases = phases(data)
    assert data_phases[APP_HEALTHY] - data_phases[DATA_VERIFIED] >= LATENCY_S, data_phases
    # The DSNs in the environment name a host that does not exist: every connection went
    # through the tunnel, to the tier's instance and to the restored one.
    hosts = aws.tunnelled()
    assert any(h.startswith("invapp-staging-postgres.") for h in hosts)
    assert any(h.startswith("invapp-staging-postgres-restore-") for h in hosts)
    step4 = next(c for c in doc["checks"] if "step4" in c["tags"])
    assert f"tier staging is clean of what drill {doc['run_id']} left" in step4["detail"]


def test_the_rollback_features_pass(aws: StandIn, tmp_path: Path) -> None:
    run = aws.features("rollback", tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    doc = evidence(tmp_path)
    assert doc["backend"] == "aws" and doc["verdict"] == "pass"
    assert len(doc["checks"]) == 9 and all(c["status"] == "passed" for c in doc["checks"])


def test_promote_copies_the_validated_image_from_staging(aws: StandIn, tmp_path: Path) -> None:
    with environment(aws.env):
        sha = service(aws.world(), "staging").current().sha
    assert sha
    plan = aws.harness("promote", "--backend", "aws", "--topology", str(aws.topology), "--sha",
                       sha, "--cycle", "NQU-copy", "--reason", "cycle smoke green", "--plan")
    assert plan.returncode == 0 and "WRITE [prod] ecr.put_image(" in plan.stdout, plan.stdout
    PLANS["promote"].append(plan.stdout)
    run = aws.harness("promote", "--backend", "aws", "--topology", str(aws.topology), "--sha",
                      sha, "--cycle", "NQU-copy", "--reason", "cycle smoke green",
                      "--allow-prod-write", "--reports", str(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert evidence(tmp_path)["decision"]["verdict"] == "pass"


def test_the_promote_features_pass_where_production_writes_are_allowed(aws: StandIn,
                                                                      tmp_path: Path) -> None:
    run = aws.features("promote", tmp_path, "--allow-prod-write")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    statuses = {c["name"]: c["status"] for c in evidence(tmp_path)["checks"]}
    # Breaking a build on purpose needs the sim; every other scenario ran and passed.
    assert statuses.pop("A build that fails its deep health is rolled back in the same run") == "skipped"
    assert len(statuses) == 6 and set(statuses.values()) == {"passed"}, statuses


def test_a_same_sha_promote_is_recovered_only_once_its_deployment_replaced_the_tasks(
        aws: StandIn, tmp_path: Path) -> None:
    with environment(aws.env):
        running = service(aws.world(), "prod").current()
    assert running.sha
    plan = aws.harness("promote", "--backend", "aws", "--topology", str(aws.topology), "--sha",
                       running.sha, "--cycle", "NQU-same-sha", "--reason", "config-only change",
                       "--plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    PLANS["promote"].append(plan.stdout)
    run = aws.harness("promote", "--backend", "aws", "--topology", str(aws.topology), "--sha",
                      running.sha, "--cycle", "NQU-same-sha", "--reason", "config-only change",
                      "--allow-prod-write", "--reports", str(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    (promoted,) = [m for m in evidence(tmp_path)["measurements"]
                   if m["name"] == "promotion recovery"]
    at = phases(promoted)
    assert promoted["seconds"] >= LATENCY_S and at["serving healthy"] >= LATENCY_S, at
    assert at["deployment completed"] >= LATENCY_S + DELAY_S - 0.05, at


def test_the_gate_fails_without_the_snapshot_and_passes_with_it(aws: StandIn,
                                                                tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT / "harness/backend/sim/gate_migrations", migrations)
    found = discover(migrations, MigrationPattern()).migrations
    # Staging has the whole cycle applied; prod is at the billing migration (as in the sim).
    for tier, instance, head in (("staging", "invapp-staging-postgres", "99999999999999"),
                                 ("prod", "invapp-dev-postgres", "20260301000000")):
        dsn = aws.instance_dsn(tier, instance)
        for migration in found:
            if migration.version not in applied_versions(dsn) and migration.version <= head:
                apply_up(dsn, migration)
    with environment(aws.env):
        sha = service(aws.world(), "staging").current().sha
    assert sha
    gate = ["gate", "--backend", "aws", "--topology", str(aws.topology), "--cycle", "NQU-900",
            "--sha", sha, "--no-billing", "--migrations", str(migrations)]
    first = aws.harness(*gate, "--reports", str(tmp_path / "r1"))
    assert first.returncode == 1, first.stdout[-3000:] + first.stderr[-2000:]
    failed = [c for c in evidence(tmp_path / "r1")["checks"] if c["status"] == "failed"]
    assert [c["name"] for c in failed] == ["Prod has an available pre-promotion snapshot for this cycle"]
    assert "no pre-promotion snapshot of invapp-dev-postgres for cycle NQU-900" in failed[0]["detail"]
    second = aws.harness(*gate, "--take-snapshot", "--allow-prod-write",
                         "--reports", str(tmp_path / "r2"))
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    doc = evidence(tmp_path / "r2")
    assert doc["verdict"] == "pass" and doc["backend"] == "aws"
    statuses = sorted(c["status"] for c in doc["checks"])
    assert statuses == ["not_applicable", *["passed"] * 5], statuses


def test_plan_and_refusals_through_the_cli_change_nothing(aws: StandIn) -> None:
    with environment(aws.env):
        world = aws.world()
        before = [service(world, t).current_arn() for t in ("staging", "prod")]
    common = ["rollback", "--backend", "aws", "--topology", str(aws.topology)]
    plan = aws.harness(*common, "--reason", "INC-1 plan only", "--plan")
    assert plan.returncode == 0, plan.stderr
    assert 'WRITE [staging] ecs.update_service(cluster="invapp-staging-cluster"' in plan.stdout
    assert "forceNewDeployment=true" in plan.stdout
    PLANS["rollback"].append(plan.stdout)
    refused = aws.harness(*common, "--tier", "prod", "--reason", "INC-2")
    assert refused.returncode == 2 and "explicit flag" in refused.stderr
    with environment(aws.env):
        assert [service(world, t).current_arn() for t in ("staging", "prod")] == before


@pytest.mark.parametrize("tier", ["staging", "prod"])
def test_a_rollback_through_the_cli_recovers(aws: StandIn, tier: str, tmp_path: Path) -> None:
    run = aws.harness("rollback", "--backend", "aws", "--topology", str(aws.topology), "--tier",
                      tier, "--reason", "INC-3 rehearsal on the stand-in", "--allow-prod-write",
                      "--reports", str(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "application RTO met" in run.stdout


def test_a_repoint_is_not_recovered_before_the_new_deployment_replaced_the_tasks(
        aws: StandIn) -> None:
    """In the stand-in as in the sim: the old check (healthy N times on the same SHA) passes
    while the old tasks still use the old database; the check in force waits >= L."""
    with environment(aws.env):
        world = aws.world()
        tags = naming.drill_tags("d-standin-repoint")
        snap = rds.take_snapshot(world, "staging", "s-standin-repoint", tags)
        rds.wait_available(world, "staging", snap.id, deadline_s=30, interval_s=0.05)
        copy = rds.restore_to_new_instance(world, "staging", snap.id, "copy-standin", tags)
        rds.wait_instance_available(world, "staging", copy.id, deadline_s=30, interval_s=0.05)
        copy = rds.describe_instance(world, "staging", copy.id) or copy
        assert copy.host
        health = HealthClient(world.tier("staging"))
        ecs = service(world, "staging")
        current = ecs.current()
        db_secret.write_db_host(world, "staging", copy.host, copy.port)
        t0 = time.monotonic()
        ecs.swap(current)
        seen: list[Any] = []
        old = poll_until(lambda: seen.append(health.read()) or seen[-3:],
                         lambda last: len(last) == 3 and all(r.running(current.sha) for r in last),
                         interval=0.05, deadline_s=LATENCY_S)
        assert old.succeeded and time.monotonic() - t0 < LATENCY_S
        assert all("copy-standin." not in str(json_path(r.health.body, "database.host"))
                   for r in seen), "the old tasks already answered from the copy"
        t1 = time.monotonic()
        outcome = repoint_app(world, "staging", copy.host, copy.port)
        assert outcome.healthy and outcome.healthy_at is not None, outcome.detail
        assert outcome.healthy_at - t1 >= LATENCY_S
        assert str(json_path(health.deep_health().body, "database.host")).startswith("copy-standin.")
        cleaned = replay(world, "staging", "d-standin-repoint")
        assert cleaned.complete, cleaned.lines()
        assert str(json_path(health.deep_health().body, "database.host")).startswith(
            "invapp-staging-postgres.")


def test_each_command_calls_exactly_what_its_iam_policy_allows(aws: StandIn) -> None:
    """Runs above logged every AWS call (HARNESS_AWS_CALL_LOG); the plans printed theirs."""
    problems = []
    for command in ("drill", "gate", "promote", "rollback"):
        seen = iam.recorded(aws.call_log(command))
        assert seen, f"no call of {command} was logged"
        planned = [iam.planned(text) for text in PLANS.get(command, [])]
        problems += iam.check(command, iam.merge(seen, *planned))
    assert not problems, "\n".join(problems)
