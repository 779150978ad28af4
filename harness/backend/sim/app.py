"""The sim app: one real HTTP server per AWS tier on 127.0.0.1 that answers like the
application would, following what the tier's ECS service runs.

It learns what it runs only from the AWS API (boto3; no sim shortcut), the way ECS tasks do:
the tasks of a deployment read their task definition and the DB-host secret once, when they
start, and keep them. The app serves from the newest deployment whose tasks run (ECS's
``runningCount``); a deployment whose tasks have not started yet serves nothing, and a
secret changed without a new deployment changes nothing served. (moto keeps no deployments:
``harness.backend.sim.deployments`` gives it ECS's.) A revision whose container environment
carries the tier's drill break marker answers its deep health non-ok. Deep health asks a
:class:`DatabaseProbe` about the database the task read at its start and says which one it
is (``database.host`` in the body).
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import boto3

from harness.topology import Tier

# Where the sim app's deep health says which database its tasks use (a topology's
# ``deep_health_database_path`` for the sim).
DATABASE_PATH = "database.host"


@dataclass(frozen=True)
class DatabaseStatus:
    ok: bool
    detail: str


class WebhookHandler(Protocol):
    """Handles one webhook delivery: (raw body, Stripe-Signature) -> (status, JSON body)."""

    def handle(self, body: bytes, signature: str | None) -> tuple[int, dict[str, object]]: ...


class DatabaseProbe(Protocol):
    """What the app's deep health asks about the database its tasks were started with
    (``host`` None: the tier names no DB-host secret)."""

    def check(self, host: str | None) -> DatabaseStatus: ...


class AlwaysHealthyDatabase:
    """No database attached to the sim app: answers ok without connecting to anything, and
    says so in its detail."""

    def check(self, host: str | None) -> DatabaseStatus:
        return DatabaseStatus(True, "ok (placeholder: no database attached to the sim app)")


@dataclass(frozen=True)
class AppSettings:
    basic_auth: tuple[str, str] | None = None


@dataclass(frozen=True)
class Task:
    """What a deployment's tasks read when they started."""

    deployment: str
    arn: str
    sha: str
    marked_broken: bool  # the drill break marker is set in its environment
    db_host: str | None


class SimApp:
    """A tier's application. ``start`` binds an ephemeral port and returns the base URL."""

    def __init__(self, tier: Tier, settings: AppSettings,
                 session: Callable[[], boto3.Session],
                 database: DatabaseProbe | None = None) -> None:
        self.tier = tier
        self.settings = settings
        self.database: DatabaseProbe = database or AlwaysHealthyDatabase()
        # The Stripe webhook at tier.webhook_path, when the sim attaches one (the gate's cycle).
        self.webhook: WebhookHandler | None = None
        self._session = session
        self._lock = threading.Lock()
        self._ecs: Any = None
        self._secrets: Any = None
        self._serving: Task | None = None
        # Builds whose deep health fails on this tier (a bug only this tier's config exposes).
        self.broken_shas: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the sim app first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        self.reset()
        handler = type("Handler", (_Handler,), {"app": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name=f"sim-app-{self.tier.name}", daemon=True)
        self._thread.start()
        return self.url

    def reset(self) -> None:
        """Start the tasks the service runs now, as a freshly started application would. Done
        here rather than on the first request, so that request is not slowed (it would blur a
        measured rollout). The AWS clients are made once: the session they use (the role the
        seed assumed) is part of the state every reset puts back."""
        with self._lock:
            if self._ecs is None:
                session = self._session()
                self._ecs, self._secrets = session.client("ecs"), session.client("secretsmanager")
            self._serving = None
            self.broken_shas.clear()
            task = self._observe()
        # A starting application connects to its database: the first deep health after a
        # reset must not pay for that (it would land inside a measured recovery).
        self.database.check(task.db_host)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- what runs ------------------------------------------------------------------------
    def running(self) -> Task:
        with self._lock:
            return self._observe()

    def _observe(self) -> Task:
        service = self._ecs.describe_services(
            cluster=self.tier.cluster, services=[self.tier.service])["services"][0]
        deployments = service.get("deployments") or []
        serving = next((d for d in deployments if d.get("runningCount", 0) > 0), None)
        if serving is None and self._serving is None:
            # Nothing reports running tasks (an ECS without deployments): the service's own.
            serving = {"id": "-", "taskDefinition": service["taskDefinition"]}
        if serving is not None and (self._serving is None
                                    or serving["id"] != self._serving.deployment):
            self._serving = self._start_tasks(serving["id"], serving["taskDefinition"])
        assert self._serving is not None
        return self._serving

    def _start_tasks(self, deployment: str, arn: str) -> Task:
        td = self._ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        container = td["containerDefinitions"][0]
        env = {e["name"]: e["value"] for e in container.get("environment", [])}
        name, value = self.tier.drill_break
        return Task(deployment, arn, container["image"].rsplit(":", 1)[-1],
                    env.get(name) == value, self._read_db_host())

    def _read_db_host(self) -> str | None:
        if not self.tier.db_host_secret:
            return None
        raw = str(self._secrets.get_secret_value(
            SecretId=self.tier.db_host_secret)["SecretString"]).strip()
        if raw.startswith("{"):
            return str(json.loads(raw).get("host") or "") or None
        return raw or None

    # -- endpoints ------------------------------------------------------------------------
    def authorised(self, header: str | None) -> bool:
        if self.settings.basic_auth is None:
            return True
        if not header or not header.startswith("Basic "):
            return False
        try:
            given = base64.b64decode(header[6:]).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        expected = "{}:{}".format(*self.settings.basic_auth)
        return hmac.compare_digest(given.encode(), expected.encode())

    def health(self, deep: bool) -> tuple[int, dict[str, Any]]:
        task = self.running()
        if not deep:
            return HTTPStatus.OK, {"status": "ok"}
        db = self.database.check(task.db_host)
        checks = {"database": db.detail if db.ok else f"failing: {db.detail}"}
        build_broken = task.sha in self.broken_shas
        if build_broken:
            checks["app"] = f"failing: build {task.sha} does not work on tier {self.tier.name}"
        elif task.marked_broken:
            checks["app"] = f"failing: drill break marker {self.tier.drill_break_env} is set"
        ok = db.ok and not (build_broken or task.marked_broken)
        status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
        body: dict[str, Any] = {"status": "ok" if ok else "degraded", "checks": checks}
        if task.db_host:
            body["database"] = {"host": task.db_host}
        return status, body

    def version(self) -> tuple[int, dict[str, Any]]:
        return HTTPStatus.OK, {"sha": self.running().sha}


class _Handler(BaseHTTPRequestHandler):
    app: SimApp

    def do_POST(self) -> None:
        """The Stripe webhook (when the sim attached a receiver to this tier's app)."""
        if not self.app.authorised(self.headers.get("Authorization")):
            self._send(HTTPStatus.UNAUTHORIZED, {"error": "authentication required"})
            return
        receiver = self.app.webhook
        if receiver is None or urlsplit(self.path).path != self.app.tier.webhook_path:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            self._send(*receiver.handle(body, self.headers.get("Stripe-Signature")))
        except Exception as exc:  # a handler crash is a 500, as a real app would answer
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(exc).__name__}: {exc}"})

    def do_GET(self) -> None:
        if not self.app.authorised(self.headers.get("Authorization")):
            self._send(HTTPStatus.UNAUTHORIZED, {"error": "authentication required"},
                       {"WWW-Authenticate": 'Basic realm="staging"'})
            return
        url = urlsplit(self.path)
        try:
            if url.path == "/api/health":
                deep = parse_qs(url.query).get("deep", [""])[0] == "true"
                self._send(*self.app.health(deep))
            elif url.path == "/api/version":
                self._send(*self.app.version())
            else:
                self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {url.path}"})
        except Exception as exc:  # the app must answer, as a real one would, with a 500
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(exc).__name__}: {exc}"})

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request logs would drown the drill's output."""
