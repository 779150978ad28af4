"""The sim's stand-in for the GitHub Actions API: one local HTTP server answering "list
workflow runs for a workflow" (filtered by head SHA) from runs the sim records, in the
REST API's shape, behind a bearer token. The gate's GitHub smoke source talks to it exactly
as it talks to api.github.com."""

from __future__ import annotations

import hmac
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_RUNS = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/actions/workflows/(?P<workflow>[^/]+)/runs$")


@dataclass
class SimGitHub:
    """Runs per (repo, workflow); ``record`` adds one, ``clear`` forgets them all."""

    token: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, repo: str, workflow: str, sha: str, conclusion: str | None,
               status: str = "completed") -> dict[str, Any]:
        with self._lock:
            run_id = 26_000_000_000 + len(self.runs) + 1
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            run = {"id": run_id, "name": workflow.removesuffix(".yml"), "head_sha": sha,
                   "path": f".github/workflows/{workflow}", "run_number": len(self.runs) + 1,
                   "event": "push", "status": status, "conclusion": conclusion,
                   "html_url": f"https://github.com/{repo}/actions/runs/{run_id}",
                   "created_at": now, "updated_at": now, "_repo": repo, "_workflow": workflow}
            self.runs.append(run)
            return run

    def clear(self) -> None:
        with self._lock:
            self.runs.clear()

    def answer(self, path: str, authorization: str | None) -> tuple[int, dict[str, Any]]:
        if not authorization or not hmac.compare_digest(authorization, f"Bearer {self.token}"):
            return HTTPStatus.UNAUTHORIZED, {"message": "Bad credentials", "status": "401"}
        url = urlsplit(path)
        match = _RUNS.match(url.path)
        if match is None:
            return HTTPStatus.NOT_FOUND, {"message": "Not Found", "status": "404"}
        sha = parse_qs(url.query).get("head_sha", [None])[0]
        with self._lock:
            found = [{k: v for k, v in r.items() if not k.startswith("_")} for r in self.runs
                     if r["_repo"] == match["repo"] and r["_workflow"] == match["workflow"]
                     and (sha is None or r["head_sha"] == sha)]
        found.reverse()  # newest first, as the API lists them
        return HTTPStatus.OK, {"total_count": len(found), "workflow_runs": found}

    @property
    def url(self) -> str:
        assert self._server is not None, "start the sim GitHub API first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="sim-github",
                         daemon=True).start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Handler(BaseHTTPRequestHandler):
    api: SimGitHub

    def do_GET(self) -> None:
        status, body = self.api.answer(self.path, self.headers.get("Authorization"))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return
