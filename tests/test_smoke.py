"""The command smoke source: a real subprocess, its exit code and the JUnit XML it writes."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from harness import topology
from harness.gate.smoke import BuiltinSmoke, CommandSmoke, smoke_for

STAGING = topology.load().tier("staging")

JUNIT = """<?xml version="1.0"?>
<testsuites><testsuite name="smoke" tests="3" failures="1" errors="1">
  <testcase classname="cluster_a" name="test_login"/>
  <testcase classname="cluster_a" name="test_provider_roundtrip"><failure message="500"/></testcase>
  <testcase classname="cluster_b" name="test_pipeline_invariant"><error message="boom"/></testcase>
</testsuite></testsuites>
"""


def script(tmp: Path, body: str) -> str:
    path = tmp / "smoke.py"
    path.write_text(body)
    return f"{sys.executable} {path}"


def test_failing_command_reports_failing_tests_and_link(tmp_path: Path) -> None:
    xml = tmp_path / "out.xml"
    cmd = script(tmp_path, f"import os, sys\nopen({str(xml)!r}, 'w').write({JUNIT!r})\n"
                           "assert os.environ['HARNESS_EXPECTED_SHA'] == 'abc'\nsys.exit(1)\n")
    tier = replace(STAGING, smoke_command=cmd, smoke_junit_xml=str(xml),
                   smoke_link="https://ci.example/run/1")
    result = smoke_for(tier).run("abc")
    assert not result.passed and result.link == "https://ci.example/run/1"
    assert result.failures == ("cluster_a.test_provider_roundtrip", "cluster_b.test_pipeline_invariant")
    assert result.summary == "exit code 1, 3 tests, 2 failing"


def test_passing_command(tmp_path: Path) -> None:
    cmd = script(tmp_path, "import os\nassert os.environ['HARNESS_TIER'] == 'staging'\n")
    result = CommandSmoke(STAGING, cmd).run(None)
    assert result.passed and result.summary == "exit code 0"


def test_failing_command_without_junit_names_its_last_output_line(tmp_path: Path) -> None:
    cmd = script(tmp_path, "import sys\nprint('smoke: provider returned 502', file=sys.stderr)\n"
                           "sys.exit(3)\n")
    result = CommandSmoke(STAGING, cmd).run(None)
    assert not result.passed and result.failures == ("smoke: provider returned 502",)


def test_missing_command() -> None:
    result = CommandSmoke(STAGING, "no-such-smoke-binary --all").run(None)
    assert not result.passed and "not found" in result.summary


def test_without_a_command_the_builtin_smoke_is_used() -> None:
    assert isinstance(smoke_for(replace(STAGING, basic_auth_user_env=None)), BuiltinSmoke)
