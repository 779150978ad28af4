"""The report through the `harness` command: a drill's run folder is reproduced byte for
byte by `harness report`, which appends no history; `harness history` lists the drills."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cli_worker import Cli, DrillRun
from report_support import evidence_links, fixture, is_external, referenced_urls, tag_problems

from harness.cli.main import main
from harness.report.history import HISTORY_FILE, append_history


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def test_drill_then_report_reproduces_the_same_files(cli: Cli, default_drill: DrillRun,
                                                     tmp_path: Path) -> None:
    drill = default_drill.result
    assert drill.returncode == 0, drill.stdout + drill.stderr
    reports = default_drill.copy(tmp_path)
    latest = reports / "latest"
    assert "report.html" in drill.stdout
    before, history = digests(latest), (reports / HISTORY_FILE).read_bytes()
    assert {"evidence.json", "summary.md", "junit.xml", "report.html"} <= set(before)
    assert len(history.splitlines()) == 1
    page = (latest / "report.html").read_text()
    doc = json.loads((latest / "evidence.json").read_text())
    assert tag_problems(page) == []
    assert {u for u in referenced_urls(page) if is_external(u)} <= evidence_links(doc)

    again = cli("report", str(latest))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "report.html" in again.stdout
    assert digests(latest) == before
    assert (reports / HISTORY_FILE).read_bytes() == history


def test_history_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    append_history(tmp_path, fixture("aws-drill-failed"))
    append_history(tmp_path, fixture("sim-drill"))
    assert main(["history", "--reports", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.index("20260820T143000Z-drill-9f3e") < out.index("20261127T080000Z-drill-a1b2")
    assert "BREACHED" in out and "2.31 s / 15 min met" in out


def test_report_help_lists_screenshot(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("report", "drill", "gate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--screenshot" in capsys.readouterr().out
