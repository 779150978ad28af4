"""A drill killed mid-restore (SIGKILL: no finaliser runs) leaves tagged resources behind;
`harness cleanup` removes every one of them.

The state must outlive the killed process, so this test runs the sim as a separate process
(tests/helpers/sim_server.py: a moto server plus the data plane on an embedded PostgreSQL)
and drives it like a real account: the drill's step 4 runs with ``--backend aws`` and
``AWS_ENDPOINT_URL`` pointing at the server, and so does the cleanup.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from harness import topology as topology_mod

ROOT = Path(__file__).resolve().parents[1]


def wait_for(path: Path, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process ended (code {proc.returncode}) before {path.name}")
        assert time.monotonic() < deadline, f"{path.name} did not appear in {timeout_s} s"
        time.sleep(0.05)


def databases(admin_dsn: str) -> set[str]:
    with psycopg.connect(admin_dsn) as conn:
        return {str(r[0]) for r in conn.execute("SELECT datname FROM pg_database").fetchall()}


def topology_file(tmp_path: Path) -> Path:
    text = topology_mod.bundled_path().read_text(encoding="utf-8").replace(
        'basic_auth_user_env = "HARNESS_STAGING_BASIC_AUTH_USER"',
        'role_arn = "arn:aws:iam::961381384763:role/harness-sim"\n'
        'basic_auth_user_env = "HARNESS_STAGING_BASIC_AUTH_USER"', 1)
    path = tmp_path / "topology.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_drill_killed_mid_restore_is_cleaned_up_completely(tmp_path: Path) -> None:
    state = tmp_path / "sim"
    state.mkdir()
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("AWS_", "HARNESS_", "MOTO_"))}
    server = subprocess.Popen([sys.executable, "-m", "tests.helpers.sim_server", str(state)],
                              cwd=ROOT, env=base_env)
    try:
        wait_for(state / "ready.json", 120, server)
        info = json.loads((state / "ready.json").read_text())
        env = {**base_env, "AWS_ENDPOINT_URL": info["endpoint"], "AWS_ACCESS_KEY_ID": "sim",
               "AWS_SECRET_ACCESS_KEY": "sim", "HARNESS_STAGING_DSN": info["sources"]["staging"]}
        topo = str(topology_file(tmp_path))
        before = databases(info["admin_dsn"])

        drill = subprocess.Popen(
            [sys.executable, "-m", "pytest", "steps", "-m", "step4", "-q", "--backend", "aws",
             "--topology", topo, "--tier", "staging"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(state / "restore-started", 120, drill)
        drill.send_signal(signal.SIGKILL)
        assert drill.wait(30) == -signal.SIGKILL
        (state / "release").touch()
        deadline = time.monotonic() + 30
        while not any("_restore_" in n for n in databases(info["admin_dsn"]) - before):
            assert time.monotonic() < deadline, "the in-flight restore never completed"
            time.sleep(0.05)
        leftovers = databases(info["admin_dsn"]) - before
        assert {n.split("_", 2)[0] for n in leftovers} == {"rds", "snap"}

        cleanup = [sys.executable, "-m", "harness.cli.main", "cleanup", "--topology", topo,
                   "--tier", "staging"]
        first = subprocess.run(cleanup, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=120)
        assert first.returncode == 0, first.stderr
        assert "deleted restored instance invapp-staging-postgres-restore-" in first.stdout
        assert "deleted snapshot invapp-staging-postgres-drill-" in first.stdout
        assert "removed 2 canary row(s)" in first.stdout, first.stdout

        again = subprocess.run(cleanup, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=120)
        assert "nothing tagged by a drill was left on tier staging" in again.stdout, again.stdout
        assert databases(info["admin_dsn"]) == before
        with psycopg.connect(info["sources"]["staging"]) as conn:
            row = conn.execute("SELECT to_regclass('harness_drill_canary')").fetchone()
        assert row == (None,)
    finally:
        server.terminate()
        server.wait(60)
