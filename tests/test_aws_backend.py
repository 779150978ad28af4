"""The real path uses no sim internals: the drill's Layer-1 steps and the rollback features
run with ``--backend aws`` against a moto *server* (reached through AWS_ENDPOINT_URL, one
account per tier by role assumption) and sim apps reached only by the URLs in a topology
file written here, which is exactly what a real account gives."""

from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_worker import Cli

from harness import topology
from harness.backend.aws import AwsBackend
from harness.backend.sim.app import AppSettings, SimApp
from harness.backend.sim.backend import sim_credentials, sim_tier
from harness.backend.sim.seed import seed_tier
from harness.cli import main as cli
from harness.io.aws.session import tier_session
from harness.rollback.recovery import service
from harness.world import World

ROOT = Path(__file__).resolve().parents[1]
LATENCY_S = 0.3


@pytest.fixture(scope="module")
def aws_like(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, World]]:
    """A moto server seeded per tier, one sim app per tier, and a topology file naming only
    URLs and role ARNs."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        # Its own process: in this one, the session's sim may hold moto's shared state.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        endpoint = f"http://127.0.0.1:{port}"
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        wait_for(endpoint)
        base = topology.load()
        text = topology.bundled_path().read_text(encoding="utf-8")
        apps = []
        # Distinct host names per tier: the topology refuses a staging URL on prod's host.
        hosts = {"prod": "127.0.0.1", "staging": "localhost"}
        for name, hostname in hosts.items():
            tier = sim_tier(base.tier(name))
            seed_tier(tier_session(tier, base.region), tier)
            for var, value in sim_credentials(tier).items():
                env.setenv(var, value)
            auth = ((os.environ[tier.basic_auth_user_env], os.environ[tier.basic_auth_password_env])
                    if tier.basic_auth_user_env and tier.basic_auth_password_env else None)
            app = SimApp(tier, AppSettings(LATENCY_S, basic_auth=auth),
                         lambda t=tier: tier_session(t, base.region))
            url = app.start().replace("127.0.0.1", hostname)
            apps.append(app)
            text = text.replace(f'health_url = "{base.tier(name).health_url}"',
                                f'health_url = "{url}"\nrole_arn = "{tier.role_arn}"')
        text = text.replace("application_poll_seconds = 5",
                            "application_poll_seconds = 0.1\napplication_deadline_minutes = 0.25")
        path = tmp_path_factory.mktemp("aws") / "topology.toml"
        path.write_text(text, encoding="utf-8")
        gc.collect()
        gc.freeze()  # as the sim backend does: no long collection pause inside a measured rollout
        yield path, World(AwsBackend(topology.load(path)))
        gc.unfreeze()
        for app in apps:
            app.stop()
        server.terminate()
        server.wait(timeout=10)


def wait_for(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def snapshot(world: World) -> dict[str, Any]:
    return {name: (service(world, name).current_arn(), service(world, name).revision_numbers("ACTIVE"),
                   service(world, name).revision_numbers("INACTIVE")) for name in ("staging", "prod")}


def test_plan_and_refusals_through_the_cli_change_nothing(aws_like: tuple[Path, World],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path, world = aws_like
    before = snapshot(world)
    common = ["rollback", "--backend", "aws", "--topology", str(path)]
    assert cli.main([*common, "--reason", "INC-1 plan only", "--plan"]) == 0
    plan = capsys.readouterr().out
    assert 'WRITE [staging] ecs.update_service(cluster="invapp-staging-cluster"' in plan
    assert "nothing was changed" in plan
    assert cli.main([*common, "--tier", "prod", "--reason", "INC-2"]) == 2
    assert "explicit flag" in capsys.readouterr().err
    assert snapshot(world) == before


def test_drill_layer1_and_rollback_features_pass_against_a_moto_server(
        cli: Cli, aws_like: tuple[Path, World], tmp_path: Path) -> None:
    path, world = aws_like
    out = cli.pytest(str(ROOT / "steps"), "-m", "step1 or step2 or (rollback and not data)",
                     "--backend", "aws", "--topology", str(path), "--reports", str(tmp_path), "-q",
                     "-p", "no:cacheprovider", env=dict(os.environ))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    doc = json.loads((tmp_path / "latest" / "evidence.json").read_text())
    assert doc["backend"] == "aws" and not doc["simulated"] and doc["verdict"] == "pass"
    rto = [m for m in doc["measurements"] if m["name"] == "application RTO"]
    # Accuracy is tested in test_layer1; here the moto server and the apps share this busy
    # process, so only the lower bound is tight.
    assert rto and all(LATENCY_S <= m["seconds"] <= LATENCY_S + 0.5 for m in rto), rto
    assert len(doc["checks"]) == 8
    # Everything the drill registered is deregistered again.
    ecs = service(world, "staging")
    drill_revisions = [ecs.describe(n) for n in ecs.revision_numbers("INACTIVE")]
    assert any(r.tags.get("harness:drill-id") == doc["run_id"] for r in drill_revisions)
    assert all(not r.tags.get("harness:drill-id") for r in map(ecs.describe, ecs.revision_numbers()))
