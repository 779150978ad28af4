"""Acceptance of `harness gate` in the sim, run as a user runs it (the CLI, in-process, one
shared PostgreSQL so each run does not start its own): a healthy cycle passes; each item
broken on its own by its sim fault fails the gate naming that item and only that item."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from harness.cli import main
from harness.db.providers import open_postgres
from harness.runconfig import SIM_POSTGRES_DSN_ENV
from harness.sim.dataplane import no_durability

HEALTH = "Staging answers its deep health check"
SMOKE = "The smoke suite is green on staging for the validated SHA"
CYCLE = "The cycle's migrations are on staging and their downs work"
PENDING = "The migrations pending for prod are queued with their downs ready"
WEBHOOK = "The Stripe webhook processes a repeated event once, when the cycle touched billing"
SNAPSHOT = "Prod has an available pre-promotion snapshot for this cycle"
ITEMS = (HEALTH, SMOKE, CYCLE, PENDING, WEBHOOK, SNAPSHOT)


@pytest.fixture(scope="module")
def shared_postgres() -> Iterator[None]:
    server = open_postgres()
    no_durability(server)
    try:
        with mock.patch.dict(os.environ, {SIM_POSTGRES_DSN_ENV: server.dsn("postgres")}):
            yield
    finally:
        server.close()


def gate(reports: Path, *args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["gate", "--reports", str(reports), "--json", *args])
    return code, json.loads(out.getvalue())


def statuses(verdict: dict[str, Any]) -> dict[str, str]:
    return {item["item"]: item["status"] for item in verdict["items"]}


@pytest.mark.usefixtures("shared_postgres")
def test_a_healthy_cycle_passes_and_reports_to_github(tmp_path: Path) -> None:
    step_summary, output = tmp_path / "summary.md", tmp_path / "output"
    with mock.patch.dict(os.environ, {"GITHUB_STEP_SUMMARY": str(step_summary),
                                      "GITHUB_OUTPUT": str(output)}):
        code, verdict = gate(tmp_path / "reports")
    assert code == 0, verdict
    assert verdict["verdict"] == "pass" and verdict["simulated"]
    assert statuses(verdict) == dict.fromkeys(ITEMS, "passed")
    assert verdict["cycle"] == "sim-cycle-1" and len(verdict["sha"]) == 40
    assert all(item["link"] for item in verdict["items"] if item["item"] not in (CYCLE, PENDING))
    advice = {row["version"]: row for row in verdict["sequencing"]}
    assert advice["20260602120000"]["classification"] == "breaking"
    assert "BEFORE dispatching" in advice["20260602120000"]["advice"]
    assert advice["20260529003733"]["classification"] == "backward-compatible"
    assert output.read_text() == f"verdict=pass\ncycle=sim-cycle-1\nsha={verdict['sha']}\n"
    summary = step_summary.read_text()
    assert summary.startswith("## GATE PASS [SIMULATED]") and "6/6 green" in summary.splitlines()[0]


@pytest.mark.usefixtures("shared_postgres")
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
        tmp_path: Path, fault: str, item: str, says: str) -> None:
    code, verdict = gate(tmp_path, "--sim-fault", fault)
    assert code == 1 and verdict["verdict"] == "fail"
    expected = dict.fromkeys(ITEMS, "passed") | {item: "failed"}
    assert statuses(verdict) == expected, verdict["items"]
    failed = next(i for i in verdict["items"] if i["status"] == "failed")
    assert says in failed["reason"], failed["reason"]


@pytest.mark.usefixtures("shared_postgres")
def test_a_cycle_that_did_not_touch_billing_shows_the_webhook_as_not_applicable(
        tmp_path: Path) -> None:
    code, verdict = gate(tmp_path, "--no-billing", "--sim-fault", "gate-webhook-double")
    assert code == 0 and verdict["verdict"] == "pass"
    assert statuses(verdict)[WEBHOOK] == "not_applicable"
    assert verdict["green"] == 5 and verdict["not_applicable"] == 1
    reason = next(i["reason"] for i in verdict["items"] if i["item"] == WEBHOOK)
    assert reason.startswith("not applicable: the caller says this cycle does not touch billing")


@pytest.mark.usefixtures("shared_postgres")
def test_take_snapshot_takes_the_missing_snapshot(tmp_path: Path) -> None:
    code, verdict = gate(tmp_path, "--sim-fault", "gate-no-snapshot", "--take-snapshot",
                         "--allow-prod-write", "--cycle", "NQU-865")
    assert code == 0, verdict["items"]
    link = next(i["link"] for i in verdict["items"] if i["item"] == SNAPSHOT)
    assert link["label"].startswith("invapp-dev-rds-") and link["label"].endswith(
        "-pre-promote-nqu-865")


def test_take_snapshot_without_the_prod_write_flag_is_refused(tmp_path: Path) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["gate", "--reports", str(tmp_path), "--take-snapshot"])
    assert code == 2 and not any(tmp_path.iterdir())


def test_unknown_gate_fault_is_a_usage_error(tmp_path: Path) -> None:
    code = main(["gate", "--reports", str(tmp_path), "--sim-fault", "gate-nope"])
    assert code == 2
