"""`harness drill` with a broken rollback and `harness rollback` as a user runs them (in the
warm CLI worker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_worker import Cli

from harness.cli.main import main as harness_main


def test_a_revert_that_never_recovers_fails_the_drill_without_a_traceback(
        cli: Cli, tmp_path: Path) -> None:
    password = "pw-that-must-never-be-printed"
    out = cli("drill", "--sim-fault", "never-recover", "--sim-rollout-latency", "0.1",
              "--reports", str(tmp_path), env={"HARNESS_STAGING_BASIC_AUTH_PASSWORD": password})
    assert out.returncode == 1, out.stdout + out.stderr
    assert "DRILL FAIL" in out.stdout and "application RTO breached" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr
    doc = json.loads((tmp_path / "latest" / "evidence.json").read_text())
    rto = next(m for m in doc["measurements"] if m["name"] == "application RTO")
    assert not rto["completed"] and not rto["met"] and rto["seconds"] < 3.1
    assert any("never-recover" in n for n in doc["notes"])
    assert any("given up after 2.6 s" in n for n in doc["notes"])
    checks = {c["name"]: c for c in doc["checks"]}
    # The broken image was caught; but in a world where nothing rolls out any more, the
    # drill cannot put the tier back either, and the check that broke it says so.
    caught = checks["The smoke gate fails on a deliberately broken image"]
    assert "time to detect" in caught["detail"] and caught["status"] == "failed"
    assert "cleanup did not leave tier staging verified clean" in caught["error"]
    written = "".join(p.read_text() for p in (tmp_path / "latest").iterdir())
    assert password not in written + out.stdout + out.stderr


def test_rollback_in_the_sim_reports_the_measured_recovery(cli: Cli, tmp_path: Path) -> None:
    # In the CLI worker: the command opens its own sim (tests/test_rollback_cli.py runs the
    # same command on the session's sim, which a second sim in this process would meet).
    out = cli("rollback", "--reason", "INC-7 bad config", "--to-revision", "1",
              "--sim-rollout-latency", "0.2", "--reports", str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("ROLLBACK PASS [SIMULATED]")
    assert "Rolled back staging to invapp-staging-app:1" in out.stdout
    assert "application RTO" in out.stdout and "met" in out.stdout
    assert "SIMULATED, state is not kept" in out.stderr
    doc = json.loads((tmp_path / "latest" / "evidence.json").read_text())
    assert "invapp-staging-app:3 -> invapp-staging-app:1" in doc["checks"][1]["name"]
    phases = [p["name"] for p in doc["measurements"][0]["phases"]]
    assert "serving healthy" in phases and "deployment completed" in phases


def test_list_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert harness_main(["drill", "--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("never-recover: ") for line in lines), lines
