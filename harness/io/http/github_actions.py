"""GitHub Actions as a smoke source: the most recent successful run of a named workflow whose
head commit is the validated SHA, read through the REST API with a token from the
environment. Every way this can go wrong (no run, failed, still running, rate limit, bad
token, unknown workflow, unreachable API) is a distinct message; the token is never shown."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from harness.errors import CheckFailed, ConfigError
from harness.gate.smoke import SmokeResult
from harness.topology import Tier

API_VERSION = "2022-11-28"
TIMEOUT_S = 10.0
PER_PAGE = 100
_IN_PROGRESS = frozenset({"queued", "in_progress", "waiting", "requested", "pending"})


class GitHubApiError(CheckFailed):
    """The API answered with an error (or not at all); the message says which and why."""


@dataclass(frozen=True)
class WorkflowRun:
    id: int
    run_number: int
    status: str
    conclusion: str | None
    head_sha: str
    html_url: str
    created_at: str

    @property
    def succeeded(self) -> bool:
        return self.status == "completed" and self.conclusion == "success"

    @property
    def running(self) -> bool:
        return self.status in _IN_PROGRESS

    def describe(self) -> str:
        state = self.conclusion if self.status == "completed" else self.status
        return f"run #{self.run_number} (id {self.id}, {state}, {self.created_at})"


@dataclass(frozen=True)
class SmokeRuns:
    """The verdict on one workflow's runs for one SHA."""

    ok: bool
    reason: str
    run: WorkflowRun | None
    link: str | None


def judge_runs(runs: list[WorkflowRun], *, sha: str, workflow: str, repo: str) -> SmokeRuns:
    """Pure: pick the most recent successful run for ``sha``, or say why there is none."""
    mine = sorted((r for r in runs if r.head_sha == sha),
                  key=lambda r: (r.created_at, r.run_number), reverse=True)
    short = sha[:12]
    if not mine:
        return SmokeRuns(False, f"no run of workflow {workflow} in {repo} for SHA {short}: "
                         "the smoke suite has not run against this commit", None, None)
    green = next((r for r in mine if r.succeeded), None)
    if green is not None:
        newer = [r for r in mine if r.created_at > green.created_at and not r.succeeded]
        later = (f"; note: {len(newer)} newer run(s) did not succeed, latest "
                 f"{newer[0].describe()}") if newer else ""
        return SmokeRuns(True, f"workflow {workflow} green for SHA {short}: "
                         f"{green.describe()}{later}", green, green.html_url)
    latest = mine[0]
    if latest.running:
        return SmokeRuns(False, f"workflow {workflow} for SHA {short} is still in progress: "
                         f"{latest.describe()}; wait for it to finish and re-run the gate",
                         latest, latest.html_url)
    return SmokeRuns(False, f"workflow {workflow} failed for SHA {short}: {latest.describe()}, "
                     "and no run for this SHA succeeded", latest, latest.html_url)


class GitHubClient:
    """A minimal GitHub REST client: GET with a bearer token and bounded timeouts."""

    def __init__(self, api_url: str, token: str, *, timeout_s: float = TIMEOUT_S) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.api_url!r}, token=***)"

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        url = f"{self.api_url}{path}{query}"
        request = urllib.request.Request(url, headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "promotion-harness",
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise _http_error(exc, f"{self.api_url}{path}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GitHubApiError(f"GitHub API unreachable: {reason}", where=self.api_url,
                                 fix="check the network and gate.github_api_url; the request "
                                     f"times out after {self.timeout_s:g} s") from None
        except ValueError as exc:
            raise GitHubApiError(f"GitHub API answered with something that is not JSON: {exc}",
                                 where=url, fix="check gate.github_api_url points at the API"
                                 ) from None


def _http_error(exc: urllib.error.HTTPError, url: str) -> GitHubApiError:
    headers = exc.headers
    remaining = headers.get("X-RateLimit-Remaining") if headers else None
    if exc.code in (403, 429) and (remaining == "0" or exc.code == 429):
        reset = headers.get("X-RateLimit-Reset") if headers else None
        when = _reset_time(reset)
        return GitHubApiError(f"GitHub API rate limit exhausted (HTTP {exc.code}){when}",
                              where=url, fix="wait for the reset, or use a token with a higher "
                                             "limit (a GitHub App or the workflow's GITHUB_TOKEN)")
    if exc.code == 401:
        return GitHubApiError("GitHub rejected the token (HTTP 401 Bad credentials)", where=url,
                              fix="the token in the configured variable is wrong or expired; "
                                  "renew it (it needs actions:read on the repository)")
    if exc.code == 403:
        return GitHubApiError("GitHub refused access (HTTP 403): the token lacks permission",
                              where=url, fix="give the token actions:read on the repository")
    if exc.code == 404:
        return GitHubApiError("GitHub answered 404: no such repository or workflow, or the "
                              "token cannot see it", where=url,
                              fix="check smoke_github_repo and smoke_github_workflow (a file "
                                  "name like smoke-suite.yml or a numeric id)")
    return GitHubApiError(f"GitHub API error HTTP {exc.code} {exc.reason}", where=url,
                          fix="retry later; see https://www.githubstatus.com")


def _reset_time(value: str | None) -> str:
    if not value or not value.isdigit():
        return ""
    at = datetime.fromtimestamp(int(value), UTC)
    return f"; resets at {at.strftime('%Y-%m-%d %H:%M:%S')} UTC"


def token_from_env(env_name: str, env: Mapping[str, str] | None = None) -> str:
    value = (os.environ if env is None else env).get(env_name, "")
    if not value:
        raise ConfigError(f"no GitHub token: environment variable {env_name} is not set",
                          fix=f"export {env_name} (a token with actions:read), or set "
                              "smoke_github_token_env in the topology")
    return value


def workflow_runs(client: GitHubClient, repo: str, workflow: str, sha: str) -> list[WorkflowRun]:
    """The runs of ``workflow`` in ``repo`` whose head commit is ``sha`` (first page of 100)."""
    path = (f"/repos/{urllib.parse.quote(repo, safe='/')}/actions/workflows/"
            f"{urllib.parse.quote(workflow, safe='')}/runs")
    body = client.get(path, {"head_sha": sha, "per_page": PER_PAGE})
    try:
        return [_run(r) for r in body["workflow_runs"]]
    except (KeyError, TypeError) as exc:
        raise GitHubApiError(f"unexpected workflow-runs answer (missing {exc})",
                             where=f"{client.api_url}{path}",
                             fix="check gate.github_api_url points at the GitHub REST API") from None


def smoke_runs(client: GitHubClient, repo: str, workflow: str, sha: str) -> SmokeRuns:
    return judge_runs(workflow_runs(client, repo, workflow, sha), sha=sha, workflow=workflow,
                      repo=repo)


def _run(raw: Mapping[str, Any]) -> WorkflowRun:
    return WorkflowRun(id=int(raw["id"]), run_number=int(raw.get("run_number", 0)),
                       status=str(raw["status"]), conclusion=raw.get("conclusion"),
                       head_sha=str(raw["head_sha"]), html_url=str(raw.get("html_url", "")),
                       created_at=str(raw.get("created_at", "")))


class GitHubSmoke:
    """The smoke source reading GitHub Actions (``smoke_source = "github"``)."""

    def __init__(self, tier: Tier, api_url: str, *, env: Mapping[str, str] | None = None,
                 timeout_s: float = TIMEOUT_S) -> None:
        if not (tier.smoke_github_repo and tier.smoke_github_workflow):
            raise ConfigError(f"tier '{tier.name}' reads smoke results from GitHub but names no "
                              "repository or workflow",
                              fix=f"set smoke_github_repo and smoke_github_workflow under "
                                  f"[tiers.{tier.name}]")
        self.repo, self.workflow = tier.smoke_github_repo, tier.smoke_github_workflow
        self.name = f"GitHub Actions ({self.repo})"
        self.client = GitHubClient(api_url, token_from_env(tier.smoke_github_token_env, env),
                                   timeout_s=timeout_s)

    def run(self, expected_sha: str | None) -> SmokeResult:
        if not expected_sha:
            raise ConfigError("the GitHub smoke source needs the validated SHA",
                              fix="pass --sha (the commit the smoke suite ran against)")
        started = time.monotonic()
        verdict = smoke_runs(self.client, self.repo, self.workflow, expected_sha)
        return SmokeResult(self.name, verdict.ok, verdict.reason,
                           () if verdict.ok else (verdict.reason,),
                           () if verdict.ok else ("tests",), verdict.link,
                           time.monotonic() - started)
