"""The smoke gate: is the tier's deployment good enough to keep?

Two sources. Built-in: deep health ok and the version endpoint reports the expected SHA.
Command (``smoke_command`` in the topology, e.g. the team's smoke suite): run it, pass on
exit code 0, and read its JUnit XML for the failing test names.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from harness.errors import ConfigError
from harness.io.http.health import HealthClient
from harness.topology import Tier

COMMAND_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class SmokeResult:
    source: str
    passed: bool
    summary: str
    failures: tuple[str, ...] = ()
    # What failed in kind: "unhealthy", "version", "tests", or a health failure kind.
    failure_kinds: tuple[str, ...] = ()
    link: str | None = None
    duration_s: float = 0.0


class SmokeSource(Protocol):
    name: str

    def run(self, expected_sha: str | None) -> SmokeResult: ...


class BuiltinSmoke:
    """Deep health + version == expected SHA."""

    name = "built-in smoke (deep health + version)"

    def __init__(self, health: HealthClient) -> None:
        self.health = health

    def run(self, expected_sha: str | None) -> SmokeResult:
        t0 = time.monotonic()
        reading = self.health.read()
        failures: list[str] = []
        kinds: list[str] = []
        if not reading.health.ok:
            failures.append(f"deep health: {reading.health.describe()}")
            kinds.append(reading.health.failure or "unhealthy")
        if not reading.version.ok:
            failures.append(f"version: {reading.version.describe()}")
            kinds.append(reading.version.failure or "version")
        elif expected_sha and reading.sha != expected_sha:
            failures.append(f"version: running {reading.sha}, expected {expected_sha}")
            kinds.append("version")
        return SmokeResult(self.name, not failures, reading.describe(expected_sha),
                           tuple(failures), tuple(kinds), self.health.base,
                           time.monotonic() - t0)


class CommandSmoke:
    """Runs a command against the tier; exit code decides, JUnit XML names the failures.

    The command sees ``HARNESS_BASE_URL``, ``HARNESS_TIER`` and ``HARNESS_EXPECTED_SHA``.
    """

    def __init__(self, tier: Tier, command: str, *, junit_xml: str | None = None,
                 link: str | None = None, cwd: Path | None = None,
                 timeout_s: float = COMMAND_TIMEOUT_S) -> None:
        self.tier = tier
        self.argv = shlex.split(command)
        if not self.argv:
            raise ConfigError(f"tier '{tier.name}' has an empty smoke_command",
                              fix=f"set smoke_command under [tiers.{tier.name}] or remove it")
        self.name = f"smoke command `{command}`"
        self.junit_xml = Path(junit_xml) if junit_xml else None
        self.link = link
        self.cwd = cwd
        self.timeout_s = timeout_s

    def run(self, expected_sha: str | None) -> SmokeResult:
        env = dict(os.environ, HARNESS_BASE_URL=self.tier.health_url, HARNESS_TIER=self.tier.name,
                   HARNESS_EXPECTED_SHA=expected_sha or "")
        t0 = time.monotonic()
        if self.junit_xml is not None and self.junit_xml.exists():
            self.junit_xml.unlink()
        try:
            done = subprocess.run(self.argv, cwd=self.cwd, env=env, capture_output=True,
                                  text=True, timeout=self.timeout_s, check=False)
        except FileNotFoundError:
            return SmokeResult(self.name, False, f"cannot run {self.argv[0]!r}: not found",
                               (f"command not found: {self.argv[0]}",), ("command",), self.link,
                               time.monotonic() - t0)
        except subprocess.TimeoutExpired:
            return SmokeResult(self.name, False, f"timed out after {self.timeout_s:g} s",
                               ("timeout",), ("command",), self.link, time.monotonic() - t0)
        elapsed = time.monotonic() - t0
        tests, failing = parse_junit(self.junit_xml) if self.junit_xml else (None, ())
        counted = f", {tests} tests, {len(failing)} failing" if tests is not None else ""
        summary = f"exit code {done.returncode}{counted}"
        if done.returncode == 0:
            return SmokeResult(self.name, True, summary, (), (), self.link, elapsed)
        failures = failing or (_last_line(done.stdout, done.stderr),)
        return SmokeResult(self.name, False, summary, tuple(failures), ("tests",), self.link,
                           elapsed)


def parse_junit(path: Path) -> tuple[int | None, tuple[str, ...]]:
    """(number of tests, names of failing or erroring tests) from a JUnit XML file."""
    if not path.is_file():
        return None, ()
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ConfigError(f"{path} is not valid JUnit XML: {exc}",
                          fix="point smoke_junit_xml at the file the smoke command writes") from exc
    cases = list(root.iter("testcase"))
    failing = tuple(
        f"{case.get('classname')}.{case.get('name')}" if case.get("classname") else str(case.get("name"))
        for case in cases if case.find("failure") is not None or case.find("error") is not None)
    return len(cases), failing


def smoke_for(tier: Tier, health: HealthClient | None = None) -> SmokeSource:
    """The tier's configured smoke source: its command, else the built-in check."""
    if tier.smoke_command:
        return CommandSmoke(tier, tier.smoke_command, junit_xml=tier.smoke_junit_xml,
                            link=tier.smoke_link)
    return BuiltinSmoke(health or HealthClient(tier))


def _last_line(*texts: str) -> str:
    for text in texts:
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        if lines:
            return lines[-1][:200]
    return "no output"
