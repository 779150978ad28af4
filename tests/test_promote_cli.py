"""`harness promote` as a user runs it: a subprocess against its own sim."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from harness.backend.sim.seed import image_sha
from harness.evidence.writer import load_schema

ROOT = Path(__file__).resolve().parents[1]
SHA = image_sha("staging", 3)  # what the sim's staging runs: the validated build


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}  # as tests/test_cli.py says
    return subprocess.run([sys.executable, "-m", "harness.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_broken_build_is_rolled_back_reported_fail_with_both_phases(tmp_path: Path) -> None:
    out = harness("promote", "--sha", SHA, "--cycle", "NQU-865", "--reason", "cycle 12 green",
                  "--signed-off-by", "Joe", "--allow-prod-write", "--sim-fault", "promote-broken-build",
                  "--sim-rollout-latency", "0.2", "--reports", str(tmp_path))
    assert out.returncode == 1, out.stdout + out.stderr
    doc = json.loads((tmp_path / "latest" / "evidence.json").read_text())
    jsonschema.validate(doc, load_schema())
    assert (doc["kind"], doc["tier"], doc["verdict"]) == ("promote", "prod", "fail")
    statuses = {c["name"]: c["status"] for c in doc["checks"]}
    assert statuses["swap and verify"] == "failed" and statuses["automatic rollback"] == "passed"
    decision = doc["decision"]
    assert (decision["cycle"], decision["sha"], decision["signed_off_by"], decision["verdict"]) == \
        ("NQU-865", SHA, "Joe", "fail")
    assert decision["snapshot_id"].startswith("invapp-dev-rds-")
    assert "rolled back to invapp-dev-app:3, healthy after" in out.stdout.splitlines()[1]
    assert "promote-broken-build" in " ".join(doc["notes"])
