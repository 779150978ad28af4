"""Acceptance of `harness gate` in the sim, run as a user runs it (the CLI's main, in the
session's warm CLI worker with one shared PostgreSQL, so each run does not start its own): a healthy
cycle passes; each item broken on its own by its sim fault fails the gate naming that item
and only that item; the gate writes to no account unless --take-snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from actions_support import parse_outputs
from cli_worker import Cli, CliResult

HEALTH = "Staging answers its deep health check"
SMOKE = "The smoke suite is green on staging for the validated SHA"
CYCLE = "The cycle's migrations are on staging and their downs work"
PENDING = "The migrations pending for prod are queued with their downs ready"
WEBHOOK = "The Stripe webhook processes a repeated event once, when the cycle touched billing"
SNAPSHOT = "Prod has an available pre-promotion snapshot for this cycle"
ITEMS = (HEALTH, SMOKE, CYCLE, PENDING, WEBHOOK, SNAPSHOT)
READS = ("Describe", "List", "Get", "AssumeRole")


def verdict(result: CliResult) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def gate(cli: Cli, reports: Path, *args: str,
         env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
    result = cli("gate", "--reports", str(reports), "--json", *args, env=env)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, verdict(result), result.calls


def writes(calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [c for c in calls if not c[1].startswith(READS)]


def statuses(verdict: dict[str, Any]) -> dict[str, str]:
    return {item["item"]: item["status"] for item in verdict["items"]}


def test_a_healthy_cycle_passes_and_reports_to_github(cli: Cli, tmp_path: Path) -> None:
    step_summary, output = tmp_path / "summary.md", tmp_path / "output"
    code, verdict, calls = gate(cli, tmp_path / "reports", env={
        "GITHUB_STEP_SUMMARY": str(step_summary), "GITHUB_OUTPUT": str(output)})
    assert code == 0, verdict["items"]
    # The gate reads (the snapshot lookup at least) and writes nothing to any account.
    assert ("rds", "DescribeDBSnapshots") in calls and writes(calls) == [], calls
    assert verdict["verdict"] == "pass" and verdict["simulated"]
    assert statuses(verdict) == dict.fromkeys(ITEMS, "passed")
    assert verdict["cycle"] == "sim-cycle-1" and len(verdict["sha"]) == 40
    assert all(item["link"] for item in verdict["items"] if item["item"] not in (CYCLE, PENDING))
    advice = {row["version"]: row for row in verdict["sequencing"]}
    assert advice["20260602120000"]["classification"] == "breaking"
    assert "BEFORE dispatching" in advice["20260602120000"]["advice"]
    assert advice["20260529003733"]["classification"] == "backward-compatible"
    written = parse_outputs(output.read_text())
    assert {k: written[k] for k in ("verdict", "kind", "cycle", "sha")} == {
        "verdict": "pass", "kind": "gate", "cycle": "sim-cycle-1", "sha": verdict["sha"]}
    assert written["report"] == f"{verdict['evidence']}/report.html"
    summary = step_summary.read_text()
    assert summary.startswith("## GATE PASS [SIMULATED]") and "6/6 green" in summary.splitlines()[0]
    assert summary.count("## GATE PASS") == 1  # written once, by the gate alone


@pytest.mark.parametrize(("fault", "item", "says"), [
    ("gate-staging-unhealthy", HEALTH, "staging is not healthy"),
    ("gate-smoke-red", SMOKE, "workflow smoke-suite.yml failed for SHA"),
    ("gate-down-not-restoring", CYCLE, "does not give staging's schema back"),
    ("gate-pending-no-down", PENDING, "no down ready: 20260529003733"),
    ("gate-webhook-double", WEBHOOK, "processed 2 times: the handler is not idempotent"),
    ("gate-no-snapshot", SNAPSHOT, "no pre-promotion snapshot of invapp-dev-postgres"),
    ("gate-snapshot-creating", SNAPSHOT, "is 'creating', not available yet"),
])
def test_each_item_broken_on_its_own_fails_the_gate_naming_only_it(
        cli: Cli, tmp_path: Path, fault: str, item: str, says: str) -> None:
    code, verdict, _ = gate(cli, tmp_path, "--sim-fault", fault)
    assert code == 1 and verdict["verdict"] == "fail"
    expected = dict.fromkeys(ITEMS, "passed") | {item: "failed"}
    assert statuses(verdict) == expected, verdict["items"]
    failed = next(i for i in verdict["items"] if i["status"] == "failed")
    assert says in failed["reason"], failed["reason"]


def test_a_cycle_that_did_not_touch_billing_shows_the_webhook_as_not_applicable(
        cli: Cli, tmp_path: Path) -> None:
    code, verdict, _ = gate(cli, tmp_path, "--no-billing", "--sim-fault", "gate-webhook-double")
    assert code == 0 and verdict["verdict"] == "pass"
    assert statuses(verdict)[WEBHOOK] == "not_applicable"
    assert verdict["green"] == 5 and verdict["not_applicable"] == 1
    reason = next(i["reason"] for i in verdict["items"] if i["item"] == WEBHOOK)
    assert reason.startswith("not applicable: the caller says this cycle does not touch billing")


def test_take_snapshot_takes_the_missing_snapshot_and_writes_nothing_else(
        cli: Cli, tmp_path: Path) -> None:
    code, verdict, calls = gate(cli, tmp_path, "--sim-fault", "gate-no-snapshot",
                                "--take-snapshot", "--allow-prod-write", "--cycle", "NQU-865")
    assert code == 0, verdict["items"]
    assert writes(calls) == [("rds", "CreateDBSnapshot")], calls
    link = next(i["link"] for i in verdict["items"] if i["item"] == SNAPSHOT)
    assert link["label"].startswith("invapp-dev-rds-") and link["label"].endswith(
        "-pre-promote-nqu-865")


def test_a_cycle_id_cannot_inject_a_passing_verdict_into_github_outputs(
        cli: Cli, tmp_path: Path) -> None:
    output = tmp_path / "output"
    result = cli("gate", "--reports", str(tmp_path / "reports"), "--sim-fault", "gate-smoke-red",
                 "--cycle", "NQU-865\nverdict=pass", env={"GITHUB_OUTPUT": str(output)})
    assert result.returncode in (1, 2), result.stderr
    written = parse_outputs(output.read_text()) if output.exists() else {}
    assert written.get("verdict") != "pass", written


@pytest.mark.parametrize(("args", "says"), [
    (["--take-snapshot"], "add --allow-prod-write"),
    (["--sim-fault", "gate-nope"], "unknown sim fault(s): gate-nope"),
    (["--backend", "aws"], "needs the cycle and the validated SHA"),
    # A fault of another command would be silently ignored and the gate would pass.
    (["--sim-fault", "promote-broken-build"], "do nothing in `harness gate`"),
    (["--sim-fault", "restore-fails"], "restore-fails is for drill"),
])
def test_usage_errors_exit_2_before_anything_runs(cli: Cli, tmp_path: Path,
                                                  args: list[str], says: str) -> None:
    result = cli("gate", "--reports", str(tmp_path), *args)
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert not any(tmp_path.iterdir())
