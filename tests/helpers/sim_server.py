"""A sim that outlives the processes using it: a moto server with the data plane installed
on an embedded PostgreSQL, seeded with the tiers' RDS instances and DB-host secrets.

Run as ``python -m tests.helpers.sim_server STATE_DIR``. It writes ``STATE_DIR/ready.json``
(endpoint, PostgreSQL admin DSN, each tier's source DSN), and holds every restore after
touching ``STATE_DIR/restore-started`` until ``STATE_DIR/release`` exists, so a test can
kill the process that asked for the restore while it is in flight. Stops on SIGTERM.
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
from harness.backend.sim.backend import sim_tier
from harness.backend.sim.databases import seed_database
from harness.backend.sim.dataplane import DataPlane
from harness.io.aws.session import tier_session
from harness.io.db.providers import open_postgres


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(state: Path) -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "sim",
                       "AWS_SECRET_ACCESS_KEY": "sim", "AWS_DEFAULT_REGION": "us-east-1",
                       "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})
    pg = open_postgres(use_docker=False)
    plane = DataPlane(pg).install()

    def hold(account: str, snapshot: str) -> None:
        (state / "restore-started").write_text(f"{account} {snapshot}\n")
        while not (state / "release").exists():
            time.sleep(0.05)

    plane.on_restore = hold
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    topology = topology_mod.load()
    sources = {}
    for tier in (sim_tier(t) for t in topology.tiers.values() if t.is_aws):
        seed_database(tier_session(tier, topology.region), tier)
        assert tier.account_id and tier.db_instance
        sources[tier.name] = plane.instance_dsn(tier.account_id, tier.db_instance)
    (state / "ready.json").write_text(json.dumps(
        {"endpoint": endpoint, "admin_dsn": pg.dsn("postgres"), "sources": sources}))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()
    plane.uninstall()
    pg.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
