"""pytest plugin: command-line options, the fixtures the step modules use, and the
pytest-bdd hooks that record every step into the evidence journal. Wiring only: the work
is done by harness.pytest.runconfig, harness.evidence.journal, harness.pytest.progress and harness.world."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from harness.clock import utcnow
from harness.errors import HarnessError
from harness.evidence.journal import CheckRecord, Journal, StepRecord
from harness.gate.types import GateOptions
from harness.pytest.progress import Progress
from harness.pytest.runconfig import RunConfig
from harness.redact import Redactor
from harness.topology import Topology
from harness.world import World

JOURNAL = pytest.StashKey[Journal]()
RUNCONFIG = pytest.StashKey[RunConfig]()
CHECK = pytest.StashKey[CheckRecord]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "promotion & rollback verification harness")
    RunConfig.add_options(group)
    RunConfig.add_pytest_only_options(group)
    GateOptions.add_options(group)


def pytest_configure(config: pytest.Config) -> None:
    try:
        run = RunConfig.from_pytest(config)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from exc
    config.stash[RUNCONFIG] = run
    config.stash[JOURNAL] = run.new_journal()
    if run.progress:
        config.pluginmanager.register(Progress(config), "harness-progress")


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUNCONFIG, None)
    if run is None or run.reports_dir is None:
        return
    journal = session.config.stash[JOURNAL]
    journal.finish()
    run.write(journal, Redactor.from_env(run.topology.secret_env_names))


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def run_config(pytestconfig: pytest.Config) -> RunConfig:
    return pytestconfig.stash[RUNCONFIG]


@pytest.fixture(scope="session")
def journal(pytestconfig: pytest.Config) -> Journal:
    return pytestconfig.stash[JOURNAL]


@pytest.fixture(scope="session")
def _world_session(run_config: RunConfig, journal: Journal) -> Iterator[Any]:
    """The expensive part (the sim, or nothing for real accounts), once per session."""
    with run_config.open_backend() as backend:
        for note in run_config.backend_notes(backend):
            journal.add_note(note)
        yield backend


@pytest.fixture
def world(run_config: RunConfig, _world_session: Any) -> World:
    """A World on a clean sim (reset per scenario) or on the real accounts."""
    return run_config.world(_world_session)


@pytest.fixture
def topology(world: World) -> Topology:
    return world.topology


@pytest.fixture
def check(request: pytest.FixtureRequest, journal: Journal) -> CheckRecord:
    """The evidence record of the running scenario (detail, links, attachments)."""
    found: CheckRecord | None = request.node.stash.get(CHECK, None)
    if found is None:
        found = journal.begin_check(request.node.module.__name__, request.node.name)
        request.node.stash[CHECK] = found
    return found


# --- pytest-bdd hooks -> journal -------------------------------------------------------------

def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    journal = request.config.stash[JOURNAL]
    record = journal.begin_check(feature.name, scenario.name,
                                 tags=sorted(set(scenario.tags) | set(feature.tags)))
    request.node.stash[CHECK] = record
    request.node.stash[_T0] = time.monotonic()


def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                           step: Any, step_func: Any) -> None:
    record = request.node.stash.get(CHECK, None)
    if record is not None:
        record.steps.append(StepRecord(keyword=step.keyword, text=step.name, started=utcnow()))
        request.node.stash[_STEP_T0] = time.monotonic()


def pytest_bdd_after_step(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                          step: Any, step_func: Any, step_func_args: Any) -> None:
    _end_step(request, "passed", None)


def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                          step_func: Any, step_func_args: Any, exception: Exception) -> None:
    _end_step(request, "failed", _describe(exception))


def pytest_bdd_step_func_lookup_error(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                                      step: Any, exception: Exception) -> None:
    record = request.node.stash.get(CHECK, None)
    if record is not None:
        record.steps.append(StepRecord(step.keyword, step.name, utcnow(), utcnow(), 0.0,
                                       "failed", str(exception)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    record = item.stash.get(CHECK, None)
    if record is None or record.finished is not None:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.failed:
            status = "failed"
            last_error = next((s.error for s in reversed(record.steps) if s.error), None)
            record.error = record.error or last_error or report.longreprtext.splitlines()[-1:][0]
        elif report.skipped:
            status = "skipped"
            record.note(_skip_reason(report))
        else:
            status = "not_applicable" if record.status == "not_applicable" else "passed"
        t0 = item.stash.get(_T0, None)
        duration = time.monotonic() - t0 if t0 is not None else report.duration
        item.config.stash[JOURNAL].end_check(record, status, duration)  # type: ignore[arg-type]
    return report


_T0 = pytest.StashKey[float]()
_STEP_T0 = pytest.StashKey[float]()


def _end_step(request: pytest.FixtureRequest, status: str, error: str | None) -> None:
    record = request.node.stash.get(CHECK, None)
    if record is None or not record.steps:
        return
    step = record.steps[-1]
    step.finished = utcnow()
    step.duration_s = time.monotonic() - request.node.stash.get(_STEP_T0, time.monotonic())
    step.status = status  # type: ignore[assignment]
    step.error = error


def _describe(exc: BaseException) -> str:
    if isinstance(exc, HarnessError):
        return exc.render()
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return f"skipped: {longrepr[2]}"
    return "skipped"

