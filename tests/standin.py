"""The AWS stand-in the ``--backend aws`` path is proven against: a moto server in its own
process (tests/helpers/standin_server.py: ECS deployments that roll out and drain, RDS backed
by real PostgreSQL), the application in another (tests/helpers/standin_app.py: it learns what
it serves only from the AWS API), databases reached only through the topology's ``db_tunnel``
(tests/helpers/pg_tunnel.py, a real TCP forwarder standing in for the SSM session), and a
topology file naming nothing but URLs, role ARNs and that tunnel command. Every harness run
against it proves it imported no sim module and no moto (tests/helpers/no_sim.py): one after
another in the stand-in's warm worker, a spawned process that never imported either, or in a
process of its own where the test is about a process (a drill killed, say)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from harness import topology as topology_mod
from harness.backend.aws import AwsBackend
from harness.backend.sim.dataplane import database_name
from harness.io.aws.session import CALL_LOG_ENV
from harness.io.db.providers import with_dbname
from harness.world import World
from tests.cli_worker import CliResult, follow_parent
from tests.cli_worker import environment as environment  # the tests' own reads
from tests.helpers import no_sim

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT_S = 900  # what the processes these runs replaced were given
HOSTS = {"prod": "127.0.0.1", "staging": "localhost"}  # the topology refuses a shared host


@dataclass
class StandIn:
    state: Path
    topology: Path
    env: dict[str, str]
    ready: dict[str, Any]
    apps: dict[str, str]
    latency: float
    delay: float
    worker: Executor

    def harness(self, *args: str) -> CliResult:
        """``harness ARGS`` in the warm worker, with exactly the stand-in's environment (exit
        97 if the worker ever imported the sim); every AWS call it makes is logged to
        ``calls-<command>.jsonl``."""
        env = {**self.env, CALL_LOG_ENV: str(self.call_log(args[0]))}
        return self._result(self.worker.submit(no_sim.run_harness, list(args), env))

    def call_log(self, command: str) -> Path:
        return self.state / f"calls-{command}.jsonl"

    def features(self, marker: str, reports: Path, *extra: str) -> CliResult:
        """The features tagged ``marker`` through pytest with ``--backend aws``, in the warm
        worker (exit 97 if it ever imported the sim)."""
        args = self.features_args(marker, reports, *extra)
        return self._result(self.worker.submit(no_sim.run_features, args, self.env))

    def _result(self, run: Future[dict[str, Any]]) -> CliResult:
        """The run's result; a run that hangs fails its test after RUN_TIMEOUT_S and its worker
        is killed (as a hung process's timeout killed it), so the session goes on."""
        try:
            return CliResult(run.result(timeout=RUN_TIMEOUT_S))
        except TimeoutError:
            for process in list(getattr(self.worker, "_processes", {}).values()):
                process.kill()
            raise AssertionError(f"the run did not end within {RUN_TIMEOUT_S} s") from None

    def features_argv(self, marker: str, reports: Path, *extra: str) -> list[str]:
        """The same features as a process of its own, for a test that kills it."""
        return [sys.executable, "-m", "pytest", *self.features_args(marker, reports, *extra)]

    def features_args(self, marker: str, reports: Path, *extra: str) -> list[str]:
        return ["steps", "-m", marker, "-q", "-p", "tests.helpers.no_sim", "-p", "no:randomly",
                "--backend", "aws", "--topology", str(self.topology), "--reports", str(reports),
                *extra]

    def world(self) -> World:
        """A World on the stand-in for the test's own checks (reads, mostly)."""
        return World(AwsBackend(topology_mod.load(self.topology)), allow_prod_write=True)

    def instance_dsn(self, tier: str, instance: str) -> str:
        return with_dbname(self.ready["admin_dsn"], self.instance_database(tier, instance))

    def instance_database(self, tier: str, instance: str) -> str:
        """The PostgreSQL database holding an RDS instance's data."""
        account = self.ready["tiers"][tier]["account"]
        return database_name("instance", account, instance, self.ready["run"])

    def databases(self) -> set[str]:
        with psycopg.connect(self.ready["admin_dsn"]) as conn:
            rows = conn.execute("SELECT datname FROM pg_database").fetchall()
        return {str(r[0]) for r in rows}

    def tunnelled(self) -> list[str]:
        """The RDS hosts the tunnel forwarded a connection to, in order."""
        log = self.state / "tunnel.log"
        return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []


def topology_text(state: Path, ready: dict[str, Any], apps: dict[str, str]) -> str:
    base = topology_mod.load()
    text = topology_mod.bundled_path().read_text(encoding="utf-8")
    for name, seeded in ready["tiers"].items():
        tier = base.tier(name)
        url = apps[name].replace("127.0.0.1", HOSTS[name])
        tunnel = (f"{sys.executable} -m tests.helpers.pg_tunnel --state {state} --account "
                  f"{seeded['account']} --host {{host}} --port {{port}} --local-port {{local_port}}")
        text = text.replace(f'health_url = "{tier.health_url}"',
                            f'health_url = "{url}"\nrole_arn = "{seeded["role_arn"]}"\n'
                            f'deep_health_database_path = "database.host"\n'
                            f'db_tunnel = "{tunnel}"')
    return text.replace("application_poll_seconds = 5", "application_poll_seconds = 0.1\n"
                        "application_deadline_minutes = 0.25\nrds_poll_seconds = 0.05\n"
                        "rds_deadline_minutes = 0.5")


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} ended (code {proc.returncode}) before {path.name}")
        assert time.monotonic() < deadline, f"{path.name} did not appear in {timeout_s} s"
        time.sleep(0.05)


@contextmanager
def standin(state: Path, *, latency: float = 0.3, delay: float = 0.2) -> Iterator[StandIn]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "HARNESS_", "MOTO_", "PYTEST_"))}
    base.update({"HARNESS_STAGING_BASIC_AUTH_USER": "standin-user",
                 "HARNESS_STAGING_BASIC_AUTH_PASSWORD": "standin-password-7Kq2"})
    procs: list[subprocess.Popen[bytes]] = []
    # Spawned, not forked: the test session imported the sim and moto, the worker never does.
    worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=follow_parent)
    warming = worker.submit(no_sim.warm_up)
    try:
        log = (state / "standin.log").open("ab")
        server = subprocess.Popen([sys.executable, "-m", "tests.helpers.standin_server",
                                   str(state), str(latency), str(delay)], cwd=ROOT, env=base,
                                  stdout=log, stderr=subprocess.STDOUT)
        procs.append(server)
        _wait_for(state / "ready.json", server)
        ready = json.loads((state / "ready.json").read_text())
        app = subprocess.Popen([sys.executable, "-m", "tests.helpers.standin_app", str(state)],
                               cwd=ROOT, env=base, stdout=log, stderr=subprocess.STDOUT)
        procs.append(app)
        _wait_for(state / "apps.json", app)
        apps = json.loads((state / "apps.json").read_text())
        path = state / "topology.toml"
        path.write_text(topology_text(state, ready, apps), encoding="utf-8")
        env = {**base, "AWS_ENDPOINT_URL": ready["endpoint"], "AWS_ACCESS_KEY_ID": "standin",
               "AWS_SECRET_ACCESS_KEY": "standin", "AWS_DEFAULT_REGION": "us-east-1",
               # Credentials and database name only: host and port come from the tunnel.
               "HARNESS_STAGING_DSN": "postgresql://postgres@db.invalid:1/app",
               "HARNESS_PROD_DSN": "postgresql://postgres@db.invalid:1/app"}
        warming.result()
        yield StandIn(state, path, env, ready, apps, latency, delay, worker)
    finally:
        worker.shutdown(wait=False)  # its exit overlaps the stand-in's
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        worker.shutdown()
