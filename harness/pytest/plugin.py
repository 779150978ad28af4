"""pytest plugin: options, the fixtures the step modules use, and the hooks that record every
scenario into the evidence journal. Wiring only: each hook hands off to
``harness.pytest.recorder``, ``harness.runconfig``, ``harness.backend`` or
``harness.report.publish``."""

from __future__ import annotations

import signal
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from harness import interrupts
from harness.backend.base import Backend
from harness.backend.registry import open_backend
from harness.cli import options
from harness.errors import HarnessError
from harness.evidence.journal import CheckRecord, Journal, Stopped
from harness.gate.types import GateOptions
from harness.pytest import recorder
from harness.pytest.markers import MARKERS
from harness.pytest.progress import Progress
from harness.redact import Redactor
from harness.runconfig import RunConfig
from harness.topology import Topology
from harness.world import World

JOURNAL = pytest.StashKey[Journal]()
RUNCONFIG = pytest.StashKey[RunConfig]()
SIGNALLED = pytest.StashKey[bool]()


class HarnessRun:
    """What the CLI hands pytest (``pytest.main(..., plugins=[HarnessRun(run)])``): the run
    it already configured and validated, so nothing is parsed a second time."""

    def __init__(self, run: RunConfig) -> None:
        self.run = run


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "promotion & rollback verification harness")
    for spec in (options.RUN, options.GATE, options.PYTEST_ONLY):
        options.add(group.addoption, spec)


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    handed = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, HarnessRun)),
                  None)
    try:
        run = handed.run if handed is not None else _from_pytest_options(config)
    except HarnessError as exc:
        raise pytest.UsageError(exc.render()) from exc
    config.stash[RUNCONFIG] = run
    config.stash[JOURNAL] = run.new_journal()
    config.pluginmanager.register(_Signalled(config), "harness-signalled")
    if run.progress:
        config.pluginmanager.register(Progress(config), "harness-progress")


def _from_pytest_options(config: pytest.Config) -> RunConfig:
    from pathlib import Path

    reports = config.getoption("--reports")
    return RunConfig.from_options(config.getoption, kind=config.getoption("--run-kind"),
                                  reports_dir=Path(reports) if reports else None,
                                  run_id=config.getoption("--run-id"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """The checks the run is expected to make: its verdict is judged against these."""
    journal = session.config.stash.get(JOURNAL, None)
    if journal is None:
        return
    for item in session.items:
        found = recorder.expected(item)
        if found is not None:
            journal.expect(found)


class _Signalled:
    """Notes a Ctrl-C that stopped the session (pytest's own "errors during collection" stop
    raises a KeyboardInterrupt too: that one is not a signal)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        if not isinstance(excinfo.value, pytest.Session.Interrupted):
            self.config.stash[SIGNALLED] = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    interrupts.checkpoint()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    # Finalisers are the undo: a stop asked for now waits until they are done.
    with interrupts.shielded():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    """Tear everything down (pytest's own teardown, shielded: it is the undo), then write the
    evidence however the session ends, a second interrupt included."""
    journal = session.config.stash.get(JOURNAL, None)
    where = journal.where() if journal is not None else ""
    try:
        with interrupts.shielded():
            return (yield)
    finally:
        _write_evidence(session, where)


def _write_evidence(session: pytest.Session, where: str) -> None:
    run = session.config.stash.get(RUNCONFIG, None)
    if run is None or run.reports_dir is None:
        return
    from harness.report.publish import write_run

    journal = session.config.stash[JOURNAL]
    stopped = None
    if interrupts.stopped() or session.config.stash.get(SIGNALLED, False):
        signum = interrupts.received() or signal.SIGINT
        stopped = Stopped(interrupts.signal_name(signum), where,
                          "skipped" if interrupts.abandoned() else "ran",
                          tuple(interrupts.left()))
    journal.finish(stopped)
    write_run(journal.to_json(), run.reports_dir, Redactor.from_env(run.topology.secret_env_names))


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def run_config(pytestconfig: pytest.Config) -> RunConfig:
    return pytestconfig.stash[RUNCONFIG]


@pytest.fixture(scope="session")
def journal(pytestconfig: pytest.Config) -> Journal:
    return pytestconfig.stash[JOURNAL]


@pytest.fixture(scope="session")
def gate_options(run_config: RunConfig) -> GateOptions:
    return run_config.gate


@pytest.fixture(scope="session")
def backend(run_config: RunConfig, journal: Journal) -> Iterator[Backend]:
    """The expensive part (the sim, or real sessions), once per session."""
    with open_backend(run_config) as opened:
        for note in opened.notes():
            journal.add_note(note)
        yield opened


@pytest.fixture
def world(run_config: RunConfig, backend: Backend) -> World:
    """A World on a clean backend (the sim is reset per scenario)."""
    return fresh_world(run_config, backend)


def fresh_world(run: RunConfig, backend: Backend) -> World:
    backend.reset()
    return World(backend, allow_prod_write=run.allow_prod_write)


@pytest.fixture
def topology(world: World) -> Topology:
    return world.topology


@pytest.fixture
def check(request: pytest.FixtureRequest, journal: Journal) -> CheckRecord:
    """The evidence record of the running scenario (detail, links, attachments)."""
    return recorder.check_for(request.node, journal)  # type: ignore[arg-type]


# --- pytest-bdd hooks -> journal -------------------------------------------------------------

def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    recorder.begin_scenario(request.node, request.config.stash[JOURNAL], feature, scenario)  # type: ignore[arg-type]


def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                           step: Any, step_func: Any) -> None:
    recorder.begin_step(request.node, step)  # type: ignore[arg-type]
    # Between two steps is a safe point: nothing is half done.
    interrupts.checkpoint()


def pytest_bdd_after_step(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                          step: Any, step_func: Any, step_func_args: Any) -> None:
    recorder.end_step(request.node, "passed")  # type: ignore[arg-type]


def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                          step_func: Any, step_func_args: Any, exception: Exception) -> None:
    recorder.end_step(request.node, "failed", exception)  # type: ignore[arg-type]


def pytest_bdd_step_func_lookup_error(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                                      step: Any, exception: Exception) -> None:
    recorder.missing_step(request.node, step, exception)  # type: ignore[arg-type]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    recorder.end_check(item, report, item.config.stash[JOURNAL])
    return report
