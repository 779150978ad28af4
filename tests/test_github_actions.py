"""The GitHub Actions smoke source against a real local HTTP server serving recorded API
responses: green, no run, failed, in progress, rate limit, bad token, unknown workflow."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from local_http import serve

from harness.errors import ConfigError
from harness.io.http.github_actions import (
    GitHubApiError,
    GitHubClient,
    WorkflowRun,
    judge_runs,
    smoke_runs,
    token_from_env,
)

RECORDED = Path(__file__).parent / "fixtures" / "github"
SHA = "9f2c1e7a4b3d5c6e8f90a1b2c3d4e5f60718293a"
TOKEN = "ghs_recordedTestToken0123456789"
RUNS_PATH = "/repos/acme/app/actions/workflows/smoke-suite.yml/runs"


@dataclass
class Recorded:
    """What the server answers next, and what it was asked."""

    status: int = 200
    body: str = "{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def answer(self, fixture: str, status: int = 200, **headers: str) -> None:
        self.status, self.body = status, (RECORDED / fixture).read_text(encoding="utf-8")
        self.headers = {k.replace("_", "-"): v for k, v in headers.items()}


@pytest.fixture
def api() -> Iterator[tuple[str, Recorded]]:
    recorded = Recorded()

    def answer(request: BaseHTTPRequestHandler) -> None:
        recorded.requests.append((request.path,
                                  {k.lower(): v for k, v in request.headers.items()}))
        if recorded.delay_s:
            threading.Event().wait(recorded.delay_s)
        data = recorded.body.encode()
        request.send_response(recorded.status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for key, value in recorded.headers.items():
            request.send_header(key, value)
        request.end_headers()
        try:
            request.wfile.write(data)
        except BrokenPipeError:
            return  # the client gave up (the timeout test)

    with serve(answer) as base:
        yield base, recorded


def check(base: str, sha: str = SHA, timeout_s: float = 5.0):  # type: ignore[no-untyped-def]
    return smoke_runs(GitHubClient(base, TOKEN, timeout_s=timeout_s), "acme/app",
                      "smoke-suite.yml", sha)


def test_green_run_for_the_sha_passes_with_its_link(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("runs-green.json")
    verdict = check(base)
    assert verdict.ok and verdict.run is not None and verdict.run.id == 26342981773
    assert verdict.link == "https://github.com/acme/app/actions/runs/26342981773"
    path, headers = rec.requests[0]
    url = urlsplit(path)
    assert url.path == RUNS_PATH
    assert parse_qs(url.query) == {"head_sha": [SHA], "per_page": ["100"]}
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["x-github-api-version"] == "2022-11-28"


def test_a_newer_red_run_is_noted_but_the_green_one_counts(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("runs-green-then-red.json")
    verdict = check(base)
    assert verdict.ok and "newer run(s) did not succeed" in verdict.reason and "#413" in verdict.reason


def test_no_run_for_this_sha(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("runs-none.json")
    verdict = check(base)
    assert not verdict.ok and verdict.reason.startswith("no run of workflow smoke-suite.yml")
    assert SHA[:12] in verdict.reason and verdict.link is None


def test_runs_of_other_shas_do_not_count(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("runs-other-sha-only.json")
    verdict = check(base)
    assert not verdict.ok and "no run of workflow" in verdict.reason


def test_run_failed(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("runs-failed.json")
    verdict = check(base)
    assert not verdict.ok and "failed for SHA" in verdict.reason and "#411" in verdict.reason
    assert verdict.link == "https://github.com/acme/app/actions/runs/26342900001"


def test_run_in_progress(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("runs-in-progress.json")
    verdict = check(base)
    assert not verdict.ok and "still in progress" in verdict.reason and "#414" in verdict.reason


@pytest.mark.parametrize("status", [403, 429])
def test_rate_limit(api: tuple[str, Recorded], status: int) -> None:
    base, rec = api
    rec.answer("rate-limited.json", status, X_RateLimit_Remaining="0",
               X_RateLimit_Reset="1779530400")
    with pytest.raises(GitHubApiError) as caught:
        check(base)
    msg = str(caught.value)
    assert f"rate limit exhausted (HTTP {status})" in msg and "resets at 2026-05-23" in msg
    assert TOKEN not in msg


def test_bad_token(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("bad-credentials.json", 401)
    with pytest.raises(GitHubApiError) as caught:
        check(base)
    assert "rejected the token (HTTP 401" in str(caught.value) and TOKEN not in str(caught.value)


def test_forbidden_without_rate_limit_is_a_permission_problem(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("rate-limited.json", 403, X_RateLimit_Remaining="4999")
    with pytest.raises(GitHubApiError) as caught:
        check(base)
    assert "lacks permission" in str(caught.value)


def test_unknown_workflow(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("not-found.json", 404)
    with pytest.raises(GitHubApiError) as caught:
        check(base)
    assert "404" in str(caught.value) and "smoke_github_workflow" in str(caught.value)


def test_slow_api_times_out_within_the_bound(api: tuple[str, Recorded]) -> None:
    base, rec = api
    rec.answer("runs-green.json")
    rec.delay_s = 1.0
    with pytest.raises(GitHubApiError) as caught:
        check(base, timeout_s=0.2)
    assert "unreachable" in str(caught.value)


def test_unreachable_api() -> None:
    with pytest.raises(GitHubApiError) as caught:
        check("http://127.0.0.1:9", timeout_s=1.0)
    assert "unreachable" in str(caught.value)


def test_token_comes_from_the_named_variable_and_is_never_printed() -> None:
    assert token_from_env("SMOKE_TOKEN", {"SMOKE_TOKEN": TOKEN}) == TOKEN
    with pytest.raises(ConfigError) as caught:
        token_from_env("SMOKE_TOKEN", {})
    assert "SMOKE_TOKEN is not set" in str(caught.value)
    assert TOKEN not in repr(GitHubClient("https://api.github.com", TOKEN))


def test_judge_prefers_the_most_recent_green_run() -> None:
    def run(i: int, created: str, conclusion: str) -> WorkflowRun:
        return WorkflowRun(i, i, "completed", conclusion, SHA, f"https://x/{i}", created)

    verdict = judge_runs([run(1, "2026-01-01T00:00:00Z", "success"),
                          run(2, "2026-01-02T00:00:00Z", "success")],
                         sha=SHA, workflow="w", repo="o/r")
    assert verdict.run is not None and verdict.run.id == 2
    assert json.dumps(verdict.reason)
