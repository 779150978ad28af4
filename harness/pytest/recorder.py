"""Records scenarios into the evidence journal: the scenarios expected to run (collected),
one check per scenario, every Gherkin step timed, the check's status decided by pytest's
reports: passed only when its call returned; a failed call is ``failed``; a setup or teardown
that broke is ``error``; a check the run never finished is closed by ``Journal.finish``."""

from __future__ import annotations

import time
from typing import Any

import pytest

from harness.clock import utcnow
from harness.errors import HarnessError
from harness.evidence.journal import CheckRecord, Expected, Journal, StepRecord

CHECK = pytest.StashKey[CheckRecord]()
_T0 = pytest.StashKey[float]()
_STEP_T0 = pytest.StashKey[float]()


def expected(item: pytest.Item) -> Expected | None:
    """The check a collected scenario will record (None for a plain test: it records one only
    if it asks for the ``check`` fixture)."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    function = getattr(item, "function", None)
    template = scenario_wrapper_template_registry.get(function) if function else None
    if template is None:
        return None
    tags = tuple(sorted(set(template.tags) | set(template.feature.tags)))
    return Expected(item.nodeid, template.feature.name, template.name, tags)


def check_for(node: pytest.Item, journal: Journal) -> CheckRecord:
    """The evidence record of a running test (a plain test gets one on first use)."""
    found: CheckRecord | None = node.stash.get(CHECK, None)
    if found is None:
        module = getattr(node, "module", None)
        found = journal.begin_check(module.__name__ if module else node.nodeid, node.name,
                                    key=node.nodeid)
        node.stash[CHECK] = found
    return found


def begin_scenario(node: pytest.Item, journal: Journal, feature: Any, scenario: Any) -> None:
    record = journal.begin_check(feature.name, scenario.name,
                                 tags=sorted(set(scenario.tags) | set(feature.tags)),
                                 key=node.nodeid)
    node.stash[CHECK] = record
    node.stash[_T0] = time.monotonic()


def begin_step(node: pytest.Item, step: Any) -> None:
    record = node.stash.get(CHECK, None)
    if record is not None:
        record.steps.append(StepRecord(keyword=step.keyword, text=step.name, started=utcnow()))
        node.stash[_STEP_T0] = time.monotonic()


def end_step(node: pytest.Item, status: str, error: BaseException | None = None) -> None:
    record = node.stash.get(CHECK, None)
    if record is None or not record.steps:
        return
    step = record.steps[-1]
    step.finished = utcnow()
    step.duration_s = time.monotonic() - node.stash.get(_STEP_T0, time.monotonic())
    step.status = status  # type: ignore[assignment]
    step.error = describe(error) if error is not None else None


def missing_step(node: pytest.Item, step: Any, exception: BaseException) -> None:
    record = node.stash.get(CHECK, None)
    if record is not None:
        record.steps.append(StepRecord(step.keyword, step.name, utcnow(), utcnow(), 0.0,
                                       "failed", str(exception)))


def end_check(item: pytest.Item, report: pytest.TestReport, journal: Journal) -> None:
    """Close the item's check from pytest's report of its call, or of a setup that broke; a
    teardown that broke (the undo failed) turns even a passed check into an error."""
    record = item.stash.get(CHECK, None)
    if record is None and report.when == "setup" and not report.passed:
        record = _begin_expected(item, journal)
    if record is None:
        return
    if report.when == "teardown":
        if report.failed:
            record.status = "error"
            record.error = f"teardown: {_last_line(report)}"
        return
    if record.finished is not None or not (report.when == "call" or not report.passed):
        return
    if report.failed:
        status = "failed" if report.when == "call" else "error"
        last_error = next((s.error for s in reversed(record.steps) if s.error), None)
        record.error = record.error or last_error or _last_line(report)
    elif report.skipped:
        status = "skipped"
        record.note(_skip_reason(report))
    else:
        status = "not_applicable" if record.status == "not_applicable" else "passed"
    t0 = item.stash.get(_T0, None)
    duration = time.monotonic() - t0 if t0 is not None else report.duration
    journal.end_check(record, status, duration)  # type: ignore[arg-type]


def _begin_expected(item: pytest.Item, journal: Journal) -> CheckRecord | None:
    """The check of a scenario whose setup broke or skipped before the scenario began."""
    exp = expected(item)
    if exp is None:
        return None
    record = journal.begin_check(exp.feature, exp.scenario, tags=list(exp.tags), key=exp.key)
    item.stash[CHECK] = record
    return record


def _last_line(report: pytest.TestReport) -> str:
    return (report.longreprtext.strip().splitlines() or ["(no message)"])[-1]


def describe(exc: BaseException) -> str:
    if isinstance(exc, HarnessError):
        return exc.render()
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return f"skipped: {longrepr[2]}"
    return "skipped"
