"""The sim app: one real HTTP server per AWS tier on 127.0.0.1 that answers like the
application would, following what the tier's ECS service runs.

It reads the service through boto3 on every request (no background thread, no sim
shortcut): when ``service.taskDefinition`` changes it notes the time (the harness's clock) and keeps
serving the old revision until the rollout latency has passed. A revision whose container
environment carries the tier's drill break marker answers its deep health non-ok. Deep
health also asks a :class:`DatabaseProbe`, the seam where a real database connection
plugs in.
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

from harness import clock
from harness.topology import Tier


@dataclass(frozen=True)
class DatabaseStatus:
    ok: bool
    detail: str


class WebhookHandler(Protocol):
    """Handles one webhook delivery: (raw body, Stripe-Signature) -> (status, JSON body)."""

    def handle(self, body: bytes, signature: str | None) -> tuple[int, dict[str, object]]: ...


class DatabaseProbe(Protocol):
    """What the app's deep health asks about its database. The RDS work replaces the
    default with a probe that opens a real PostgreSQL connection."""

    def check(self) -> DatabaseStatus: ...


class AlwaysHealthyDatabase:
    """Placeholder until the sim data plane attaches a real PostgreSQL: answers ok without
    connecting to anything, and says so in its detail."""

    def check(self) -> DatabaseStatus:
        return DatabaseStatus(True, "ok (placeholder: no database attached to the sim app)")


@dataclass(frozen=True)
class AppSettings:
    rollout_latency_s: float
    # Fault `never-recover`: once a broken revision is live, nothing rolls out any more.
    never_recover: bool = False
    basic_auth: tuple[str, str] | None = None


@dataclass(frozen=True)
class _Revision:
    arn: str
    sha: str
    broken: bool


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
        self._serving: _Revision | None = None
        self._pending: tuple[str, float] | None = None
        self._known: dict[str, _Revision] = {}
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
        """Renew the AWS session (a moto reset invalidates it) and start serving what the
        service runs now, as a freshly started application would. Done here rather than on
        the first request, so that request is not slowed (it would blur a measured rollout)
        and a swap made before it is still rolled out with the latency."""
        with self._lock:
            self._ecs = self._session().client("ecs")
            self._pending = None
            self._known.clear()
            self.broken_shas.clear()
            self._serving = self._revision(self._wanted())

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- what runs ------------------------------------------------------------------------
    def running(self) -> _Revision:
        with self._lock:
            wanted = self._wanted()
            # Taken after the read, so a change is never noted before it happened.
            now = clock.monotonic()
            assert self._serving is not None
            if wanted == self._serving.arn:
                self._pending = None
            else:
                if self._pending is None or self._pending[0] != wanted:
                    self._pending = (wanted, now)
                stuck = self.settings.never_recover and self._serving.broken
                if not stuck and now - self._pending[1] >= self.settings.rollout_latency_s:
                    self._serving = self._revision(wanted)
                    self._pending = None
            return self._serving

    def _wanted(self) -> str:
        arn: str = self._ecs.describe_services(
            cluster=self.tier.cluster, services=[self.tier.service],
        )["services"][0]["taskDefinition"]
        return arn

    def _revision(self, arn: str) -> _Revision:
        if arn not in self._known:
            td = self._ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
            container = td["containerDefinitions"][0]
            env = {e["name"]: e["value"] for e in container.get("environment", [])}
            name, value = self.tier.drill_break
            sha = container["image"].rsplit(":", 1)[-1]
            self._known[arn] = _Revision(arn, sha,
                                         env.get(name) == value or sha in self.broken_shas)
        return self._known[arn]

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
        revision = self.running()
        if not deep:
            return HTTPStatus.OK, {"status": "ok"}
        db = self.database.check()
        checks = {"database": db.detail if db.ok else f"failing: {db.detail}"}
        if revision.broken and revision.sha in self.broken_shas:
            checks["app"] = f"failing: build {revision.sha} does not work on tier {self.tier.name}"
        elif revision.broken:
            checks["app"] = f"failing: drill break marker {self.tier.drill_break_env} is set"
        ok = db.ok and not revision.broken
        status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
        return status, {"status": "ok" if ok else "degraded", "checks": checks}

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
