"""Gate items against real local HTTP servers: staging's deep health (a 401 says
"credentials rejected", not unhealthy) and the smoke item reading GitHub Actions."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import topology
from harness.gate.items import smoke, staging_health

Answer = tuple[int, dict[str, object]]


@pytest.fixture
def server() -> Iterator[Callable[[Answer], str]]:
    servers: list[ThreadingHTTPServer] = []

    def serve(answer: Answer) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = json.dumps(answer[1]).encode()
                self.send_response(answer[0])
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_port}"

    yield serve
    for srv in servers:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def auth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_STAGING_BASIC_AUTH_USER", "ops")
    monkeypatch.setenv("HARNESS_STAGING_BASIC_AUTH_PASSWORD", "not-the-password")


def staging_at(url: str, **changes: object) -> topology.Tier:
    return replace(topology.load().tier("staging"), health_url=url, **changes)  # type: ignore[arg-type]


@pytest.mark.usefixtures("auth_env")
@pytest.mark.parametrize(("answer", "status", "says"), [
    ((200, {"status": "ok"}), "passed", "deep health ok (HTTP 200"),
    ((401, {"error": "authentication required"}), "failed", "credentials rejected"),
    ((503, {"status": "degraded", "checks": {"database": "failing"}}), "failed",
     "staging is not healthy (unhealthy)"),
])
def test_staging_health(server: Callable[[Answer], str], answer: Answer, status: str,
                        says: str) -> None:
    result = staging_health.staging_health(staging_at(server(answer)))
    assert result.status == status and says in result.reason, result.reason
    assert result.link is not None and result.link[1].endswith("/api/health?deep=true")
    if answer[0] == 401:
        assert "unhealthy" not in result.reason and "not-the-password" not in result.reason


def test_smoke_from_github(server: Callable[[Answer], str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    sha = "9f2c1e7a4b3d5c6e8f90a1b2c3d4e5f60718293a"
    run = {"id": 7, "run_number": 3, "status": "completed", "conclusion": "failure",
           "head_sha": sha, "html_url": "https://github.com/o/r/actions/runs/7",
           "created_at": "2026-05-23T10:00:00Z"}
    api = server((200, {"total_count": 1, "workflow_runs": [run]}))
    monkeypatch.setenv("SMOKE_TOKEN", "ghs_secret_token_value")
    top = topology.load()
    tier = replace(top.tier("staging"), smoke_source="github", smoke_github_repo="o/r",
                   smoke_github_workflow="smoke-suite.yml", smoke_github_token_env="SMOKE_TOKEN")
    top = replace(top, gate=replace(top.gate, github_api_url=api))
    result = smoke.smoke(top, tier, sha)
    assert result.status == "failed" and "failed for SHA 9f2c1e7a4b3d" in result.reason
    assert result.link == ("smoke run", "https://github.com/o/r/actions/runs/7")
    assert "ghs_secret_token_value" not in result.reason
