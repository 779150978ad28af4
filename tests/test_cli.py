"""The `harness` command as a user runs it: exit codes, output, files written (in the
session's warm CLI worker, or a new process where the process itself is what is tested)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import jsonschema
from cli_worker import Cli, DrillRun

from harness.evidence.writer import load_schema
from harness.rollback.restore import APP_HEALTHY, DATA_VERIFIED

ROOT = Path(__file__).resolve().parents[1]


def harness(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # The harness honours COLUMNS, and under pytest here the children inherited COLUMNS=80
    # although os.environ has none (set in the C environment): say how wide a CI log is.
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "harness.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_drill_writes_schema_valid_evidence_and_summary(default_drill: DrillRun) -> None:
    out = default_drill.result
    assert out.returncode == 0, out.stdout + out.stderr
    latest = default_drill.reports / "latest"
    doc = json.loads((latest / "evidence.json").read_text())
    jsonschema.validate(doc, load_schema())
    assert doc["kind"] == "drill" and doc["tier"] == "staging" and doc["backend"] == "sim"
    assert (latest / "summary.md").read_text().startswith("## DRILL PASS [SIMULATED]")
    assert "DRILL PASS" in out.stdout
    assert all(c["steps"] and all(s["duration_s"] >= 0 for s in c["steps"]) for c in doc["checks"])
    # The repoint waits for a new deployment to replace the tasks: >= the rollout latency.
    (data,) = [m for m in doc["measurements"] if m["name"] == "data RTO"]
    at = {p["name"]: p["offset_s"] for p in data["phases"]}
    assert at[APP_HEALTHY] - at[DATA_VERIFIED] >= 0.2, at


def test_a_drill_checks_duration_counts_its_verified_undo(default_drill: DrillRun) -> None:
    """Step 1's undo puts the service back (a real rollout): the check's verdict waits for
    it, so its duration holds the call's steps and then the undo, and it ends when that does."""
    doc = json.loads((default_drill.reports / "latest" / "evidence.json").read_text())
    (step1,) = [c for c in doc["checks"] if "step1" in c["tags"]]
    took = [line for line in step1["detail"].splitlines() if line.startswith("cleanup: took ")]
    assert len(took) == 1, step1["detail"]
    undo_s = float(took[0].split()[2])
    assert undo_s >= 0.2  # the service rolled back: at least the sim's rollout latency
    steps_s = sum(s["duration_s"] for s in step1["steps"])
    assert step1["duration_s"] >= steps_s + undo_s - 0.01, (step1["duration_s"], steps_s, undo_s)
    # It ends when its undo ended (a gap between the call's end and the undo only adds).
    started, finished = (datetime.fromisoformat(step1[k]) for k in ("started_at", "finished_at"))
    assert (finished - started).total_seconds() >= step1["duration_s"] - 0.05, step1


def test_drill_on_prod_is_refused_with_exit_2(cli: Cli, tmp_path: Path) -> None:
    out = cli("drill", "--tier", "prod", "--reports", str(tmp_path))
    assert out.returncode == 2
    assert "refusing to run a drill on tier 'prod'" in out.stderr
    assert not any(tmp_path.iterdir())


def test_a_refused_prod_rollback_leaves_no_reports_folder(cli: Cli, tmp_path: Path) -> None:
    """The preflight checks that the reports folder can be written; a run the tier guard
    refuses after it leaves no folder made for that check."""
    reports = tmp_path / "new" / "reports"
    out = cli("rollback", "--tier", "prod", "--reason", "INC-9", "--reports", str(reports))
    assert out.returncode == 2 and "--allow-prod-write" in out.stderr, out.stderr
    assert not (tmp_path / "new").exists()


def test_unknown_sim_fault_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    out = cli("drill", "--sim-fault", "no-such-fault", "--reports", str(tmp_path))
    assert out.returncode == 2 and "no-such-fault" in out.stderr


def test_topology_check_reports_the_key_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((ROOT / "harness/topologies/runbook.toml").read_text()
                   .replace("drill_enabled = false", "drill_enabled = true"))
    out = harness("topology", "check", str(bad))
    assert out.returncode == 2 and "tiers.prod.drill_enabled" in out.stderr
    assert harness("topology", "check", str(ROOT / "harness/topologies/runbook.toml")).returncode == 0


def test_topology_show_prints_what_runs_where() -> None:
    out = harness("topology", "show")
    assert out.returncode == 0
    assert "invapp-dev-cluster" in out.stdout and "PRODUCTION" in out.stdout
    assert "TLS verification OFF" in out.stdout


def test_report_rerenders_identical_files(cli: Cli, default_drill: DrillRun, tmp_path: Path) -> None:
    assert default_drill.result.returncode == 0
    run = (default_drill.copy(tmp_path) / "latest").resolve()
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    for p in run.iterdir():
        if p.name != "evidence.json":
            p.unlink()
    assert cli("report", str(run)).returncode == 0
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
