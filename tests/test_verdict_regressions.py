"""Two ways a run used to read green without verifying anything, each through the public
API that existed before the fix (so each test fails on the code before it): a JUnit file
without any testcase, and an evidence file edited to say pass."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.evidence.journal import Journal
from harness.redact import Redactor
from harness.report.publish import write_run
from tests.fixtures.evidence.build import aws_drill_failed


def test_junit_of_a_run_without_any_check_is_red(tmp_path: Path) -> None:
    j = Journal(kind="gate", backend="sim", topology="t", tier="staging")
    j.finish()
    run_dir = write_run(j.to_json(), tmp_path, Redactor())
    root = ET.parse(run_dir / "junit.xml").getroot()
    cases = list(root.iter("testcase"))
    assert len(cases) == 1, ET.tostring(root, encoding="unicode")
    [error] = list(cases[0].iter("error"))
    assert "no check ran" in (error.get("message") or "")
    assert sum(int(s.get("errors", "0")) for s in root.iter("testsuite")) == 1


def tampered(tmp_path: Path) -> Path:
    """A failed drill whose evidence.json was edited to say pass."""
    doc = aws_drill_failed()
    doc["verdict"] = "pass"
    run_dir = tmp_path / doc["run_id"]
    run_dir.mkdir()
    (run_dir / "evidence.json").write_text(json.dumps(doc))
    return run_dir


def test_report_recomputes_a_tampered_verdict(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tampered(tmp_path)
    code = main(["report", str(run_dir)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "says verdict 'pass' but its checks give 'fail'" in out
    assert "DRILL FAIL" in out and "DRILL PASS" not in out
    assert (run_dir / "summary.md").read_text().startswith("## DRILL FAIL")
    assert 'name="verdict" value="fail"' in (run_dir / "junit.xml").read_text()
    assert 'class="banner fail"' in (run_dir / "report.html").read_text()
