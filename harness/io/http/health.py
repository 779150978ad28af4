"""Deep-health and version checks against a tier's URL: bounded timeouts, basic auth from
the environment variables the topology names, TLS verification per tier.

Every way a check can fail has its own kind and a readable sentence: the host is
unreachable, it timed out, the body is not JSON, the status is unexpected, the credentials
were rejected, or the application says it is unhealthy.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from harness import clock
from harness.errors import ConfigError
from harness.topology import Tier

HEALTH_PATH = "/api/health?deep=true"
VERSION_PATH = "/api/version"
DEFAULT_TIMEOUT_S = 5.0

Failure = Literal["unreachable", "timeout", "not-json", "wrong-status", "credentials-rejected",
                  "unhealthy", "no-version"]


@dataclass(frozen=True)
class Probe:
    """One HTTP check: what was asked, what came back, and (when not ok) why, in words."""

    url: str
    ok: bool
    elapsed_s: float
    status_code: int | None = None
    body: Mapping[str, Any] | None = None
    failure: Failure | None = None
    detail: str = ""
    # Monotonic instant the answer arrived (for measurements built from probes).
    at: float = 0.0

    def describe(self) -> str:
        return "ok" if self.ok else f"{self.failure}: {self.detail}"


@dataclass(frozen=True)
class Reading:
    """Deep health and version read together: the unit a recovery poll or a smoke looks at."""

    health: Probe
    version: Probe

    @property
    def sha(self) -> str | None:
        body = self.version.body or {}
        value = body.get("sha") or body.get("version") or body.get("commit")
        return str(value) if value else None

    @property
    def at(self) -> float:
        return max(self.health.at, self.version.at)

    def running(self, expected_sha: str | None) -> bool:
        """Healthy, and (when one is expected) on the expected image."""
        return self.health.ok and self.version.ok and (
            expected_sha is None or self.sha == expected_sha)

    def describe(self, expected_sha: str | None = None) -> str:
        parts = [f"deep health {self.health.describe()}"]
        if not self.version.ok:
            parts.append(f"version {self.version.describe()}")
        elif expected_sha and self.sha != expected_sha:
            parts.append(f"version {short(self.sha)} (expected {short(expected_sha)})")
        else:
            parts.append(f"version {short(self.sha)}")
        return "; ".join(parts)


def short(sha: str | None) -> str:
    return sha[:12] if sha else "-"


class HealthClient:
    """Checks one tier's application at its ``health_url``."""

    def __init__(self, tier: Tier, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 env: Mapping[str, str] | None = None) -> None:
        self.tier = tier
        self.base = tier.health_url.rstrip("/")
        self.timeout_s = timeout_s
        self._auth = basic_auth_header(tier, os.environ if env is None else env)
        self._ssl = None if tier.tls_verify else _unverified()

    def deep_health(self) -> Probe:
        probe = self._get(HEALTH_PATH)
        if probe.failure or probe.body is None:
            return probe
        status = probe.body.get("status")
        if status == "ok" and probe.status_code == 200:
            return probe
        checks = probe.body.get("checks")
        failing = ""
        if isinstance(checks, Mapping):
            failing = "; " + ", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
        return _failed(probe, "unhealthy",
                       f"status '{status}' (HTTP {probe.status_code}) at {probe.url}{failing}")

    def version(self) -> Probe:
        probe = self._get(VERSION_PATH)
        if probe.failure or probe.body is None:
            return probe
        if probe.status_code != 200 or not any(probe.body.get(k) for k in ("sha", "version", "commit")):
            return _failed(probe, "no-version",
                           f"HTTP {probe.status_code} from {probe.url} carries no sha/version field")
        return probe

    def read(self) -> Reading:
        return Reading(self.deep_health(), self.version())

    def _get(self, path: str) -> Probe:
        url = self.base + path
        request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                       "User-Agent": "promotion-harness"})
        if self._auth:
            request.add_header("Authorization", self._auth)
        t0 = clock.monotonic()
        code: int | None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s, context=self._ssl) as resp:
                code, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            code, raw = exc.code, exc.read()
        except TimeoutError:
            return _probe(url, t0, failure="timeout",
                          detail=f"no answer from {url} within {self.timeout_s:g} s")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                return _probe(url, t0, failure="timeout",
                              detail=f"no answer from {url} within {self.timeout_s:g} s")
            return _probe(url, t0, failure="unreachable", detail=f"cannot reach {url}: {exc.reason}")
        except (ConnectionError, OSError) as exc:
            return _probe(url, t0, failure="unreachable", detail=f"cannot reach {url}: {exc}")
        if code == 401 or code == 403:
            env = (f"${self.tier.basic_auth_user_env} / ${self.tier.basic_auth_password_env}"
                   if self.tier.basic_auth_user_env else "no basic-auth variables configured")
            return _probe(url, t0, code, failure="credentials-rejected",
                          detail=f"HTTP {code} from {url}: the credentials were rejected "
                                 f"(basic auth from {env})")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            start = raw[:60].decode("utf-8", "replace")
            return _probe(url, t0, code, failure="not-json",
                          detail=f"HTTP {code} from {url} is not JSON (starts {start!r})")
        if not isinstance(body, dict):
            return _probe(url, t0, code, failure="not-json",
                          detail=f"HTTP {code} from {url} is JSON but not an object")
        if code not in (200, 503):
            return _probe(url, t0, code, body, failure="wrong-status",
                          detail=f"HTTP {code} from {url} (expected 200, or 503 with a health body)")
        return _probe(url, t0, code, body)


def _probe(url: str, t0: float, code: int | None = None, body: Mapping[str, Any] | None = None,
           *, failure: Failure | None = None, detail: str = "") -> Probe:
    now = clock.monotonic()
    return Probe(url, failure is None, now - t0, code, body, failure, detail, now)


def _failed(probe: Probe, failure: Failure, detail: str) -> Probe:
    return Probe(probe.url, False, probe.elapsed_s, probe.status_code, probe.body, failure,
                 detail, probe.at)


def basic_auth_header(tier: Tier, env: Mapping[str, str]) -> str | None:
    """The tier's ``Authorization: Basic ...`` value from the env vars it names (None when it
    names none)."""
    user_env, pw_env = tier.basic_auth_user_env, tier.basic_auth_password_env
    if not user_env or not pw_env:
        return None
    user, password = env.get(user_env), env.get(pw_env)
    if not user or not password:
        raise ConfigError(
            f"tier '{tier.name}' needs basic auth but ${user_env} / ${pw_env} is not set",
            fix=f"export {user_env} and {pw_env} (the staging basic-auth credentials)")
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
