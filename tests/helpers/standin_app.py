"""The AWS stand-in's application: one HTTP server per AWS tier that decides what it serves
only by calling the AWS API (the moto server at AWS_ENDPOINT_URL, with the tier's role): the
ECS service's deployments, the task definition of the one whose tasks run, the DB-host secret
as read when those tasks started; its deep health connects to the real PostgreSQL database
behind that host. It is the sim app's code (``harness.backend.sim.app``) in a process of its
own, seeing nothing of moto's insides.

Run as ``python -m tests.helpers.standin_app STATE_DIR`` once ``ready.json`` exists; it writes
``STATE_DIR/apps.json`` ({tier: url}) and stops on SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path

from harness import topology as topology_mod
from harness.backend.sim.app import AppSettings, SimApp
from harness.backend.sim.databases import HostDatabaseProbe
from harness.backend.sim.dataplane import database_name
from harness.io.aws.session import tier_session
from harness.io.db.providers import with_dbname


def main(state: Path) -> None:
    ready = json.loads((state / "ready.json").read_text())
    os.environ.update({"AWS_ENDPOINT_URL": ready["endpoint"], "AWS_ACCESS_KEY_ID": "standin",
                       "AWS_SECRET_ACCESS_KEY": "standin", "AWS_DEFAULT_REGION": "us-east-1"})
    topology = topology_mod.load()
    apps, urls = [], {}
    for name, seeded in ready["tiers"].items():
        tier = replace(topology.tier(name), aws_profile=None, role_arn=seeded["role_arn"])
        auth = None
        if tier.basic_auth_user_env and tier.basic_auth_password_env:
            auth = (os.environ[tier.basic_auth_user_env], os.environ[tier.basic_auth_password_env])
        account = tier.account_id or ""

        def dsn_for_host(host: str, account: str = account) -> str:
            # The stand-in's "DNS": an RDS endpoint's database on the one PostgreSQL server.
            return with_dbname(ready["admin_dsn"],
                               database_name("instance", account, host.split(".", 1)[0],
                                             ready["run"]))

        app = SimApp(tier, AppSettings(basic_auth=auth),
                     lambda t=tier: tier_session(t, topology.region),
                     database=HostDatabaseProbe(dsn_for_host))
        urls[tier.name] = app.start()
        apps.append(app)
    # Written whole, then renamed: the test waits for the name and reads it at once.
    (state / "apps.json.tmp").write_text(json.dumps(urls))
    (state / "apps.json.tmp").rename(state / "apps.json")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    for app in apps:
        app.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
