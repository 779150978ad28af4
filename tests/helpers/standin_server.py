"""The AWS stand-in's "AWS": a moto server in its own process, with what moto lacks for the
runbook installed in that process (ECS deployments that roll out and drain, RDS instances and
snapshots backed by real PostgreSQL databases, atomic SSM creates), seeded with the bundled
topology's two tiers (each in its own account, reached by assuming a role).

Run as ``python -m tests.helpers.standin_server STATE_DIR LATENCY DELAY``. It writes
``STATE_DIR/ready.json`` (endpoint, PostgreSQL admin DSN, each tier's role ARN and seeded
image SHAs) and stops on SIGTERM. While ``STATE_DIR/hold-restores`` exists, a restore touches
``STATE_DIR/restore-started`` and waits for ``STATE_DIR/release``, so a test can kill the
process that asked for it while it is in flight.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from moto.server import ThreadedMotoServer

from harness import topology as topology_mod
from harness.backend.sim.atomic import atomic_ssm_puts
from harness.backend.sim.backend import sim_tier
from harness.backend.sim.databases import seed_database
from harness.backend.sim.dataplane import DataPlane
from harness.backend.sim.deployments import DeploymentModel
from harness.backend.sim.seed import seed_tier
from harness.io.aws.session import tier_session
from harness.io.db.providers import open_postgres


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(state: Path, latency: float, delay: float) -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "standin",
                       "AWS_SECRET_ACCESS_KEY": "standin", "AWS_DEFAULT_REGION": "us-east-1",
                       "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})
    pg = open_postgres(use_docker=False)
    plane = DataPlane(pg).install()

    def hold(account: str, snapshot: str) -> None:
        if not (state / "hold-restores").exists():
            return
        (state / "restore-started").write_text(f"{account} {snapshot}\n")
        while not (state / "release").exists():
            time.sleep(0.05)

    plane.on_restore = hold
    model = DeploymentModel(latency, delay).install()
    atomic = atomic_ssm_puts()
    atomic.start()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    topology = topology_mod.load()
    tiers = {}
    for tier in (sim_tier(t) for t in topology.tiers.values() if t.is_aws):
        session = tier_session(tier, topology.region)
        seeded = seed_tier(session, tier)
        seed_database(session, tier)
        assert tier.account_id and tier.db_instance
        plane.instance_dsn(tier.account_id, tier.db_instance)  # its data, made now
        tiers[tier.name] = {"role_arn": tier.role_arn, "account": tier.account_id,
                            "shas": list(seeded.image_shas),
                            "task_definitions": list(seeded.task_definition_arns)}
    # Written whole, then renamed: the test waits for the name and reads it at once.
    (state / "ready.json.tmp").write_text(json.dumps(
        {"endpoint": endpoint, "admin_dsn": pg.dsn("postgres"), "tiers": tiers,
         "run": plane.run}))
    (state / "ready.json.tmp").rename(state / "ready.json")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()
    atomic.stop()
    model.uninstall()
    plane.uninstall()
    pg.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]))
