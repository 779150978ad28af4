"""Short live progress for `harness gate|drill`: one line when a scenario starts, one when
it ends, printed past pytest's output capture on stderr (stdout carries only the result: its
first line is the verdict, or the JSON with ``--json``)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from harness.report.format import STATUS_LABEL, seconds


class Progress:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def _write(self, line: str) -> None:
        capman = self.config.pluginmanager.getplugin("capturemanager")
        if capman is None:
            print(line, file=sys.stderr, flush=True)
            return
        with capman.global_and_fixture_disabled():
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    def pytest_bdd_before_scenario(self, request: Any, feature: Any, scenario: Any) -> None:
        self._write(f"  ..   {scenario.name}")

    def pytest_bdd_before_step(self, request: Any, feature: Any, scenario: Any, step: Any,
                               step_func: Any) -> None:
        self._write(f"         {step.keyword} {step.name}")

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            status = "failed" if report.failed else "skipped" if report.skipped else "passed"
            self._write(f"  {STATUS_LABEL[status]:<4} ({seconds(report.duration)})")
        elif report.failed:
            last = (report.longreprtext.strip().splitlines() or [""])[-1]
            self._write(f"  ERROR in {report.when} of {report.nodeid}: {last}")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._write(f"  ERROR collecting {report.nodeid}:\n{report.longreprtext}")
