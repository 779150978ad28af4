"""Fixtures for the tests of harness/ itself."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cli_worker import Cli, DrillRun, follow_parent

from harness import clock
from harness.backend.base import Backend
from harness.backend.sim import SimBackend
from harness.backend.sim.dataplane import DataPlane
from harness.io.db.providers import PostgresServer
from tests.helpers.virtual_clock import VirtualClock


@pytest.fixture(scope="session")
def postgres(scratch_postgres: PostgresServer) -> PostgresServer:
    """One real PostgreSQL for the whole session, shared with the migration features
    (steps/migrations.py starts it: embedded, unless a Docker engine answers)."""
    return scratch_postgres


@pytest.fixture
def scratch_db(postgres: PostgresServer) -> Iterator[Callable[[], str]]:
    """Make empty databases (from template0) for one test; all dropped afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:10]}"
        made.append(name)
        return postgres.create_database(name, template="template0")

    yield make
    for name in made:
        postgres.drop_database(name)


@pytest.fixture
def write_migrations(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write {file name: SQL} into a fresh directory and return it."""

    def write(files: dict[str, str]) -> Path:
        directory = tmp_path / f"migrations_{uuid.uuid4().hex[:6]}"
        directory.mkdir()
        for name, text in files.items():
            (directory / name).write_text(text, encoding="utf-8")
        return directory

    return write


@pytest.fixture(scope="session")
def sim_backend(backend: Backend) -> SimBackend:
    """The session's sim (one moto per process: tests share it, never start a second)."""
    if not isinstance(backend, SimBackend):
        pytest.skip("needs the sim backend")
    return backend


@pytest.fixture
def dataplane(sim_backend: SimBackend, world: Any) -> Iterator[DataPlane]:
    """The data plane of the session's sim, on a world reset for this test; faults set by a
    test are cleared after it."""
    plane: DataPlane = sim_backend.dataplane
    faults = plane.faults
    yield plane
    plane.faults = faults


@pytest.fixture(scope="session")
def cli() -> Iterator[Cli]:
    """`harness ...` as a user runs it, in one warm clean process per test session (see
    cli_worker): exit code, stdout, stderr, the harness's own AWS calls."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=follow_parent) as pool:
        yield Cli(pool)


@pytest.fixture(scope="session")
def default_drill(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> DrillRun:
    """One `harness drill` on the sim's defaults (rollout latency 0.2 s), shared by the tests
    that only read what it printed and wrote."""
    reports = tmp_path_factory.mktemp("default-drill") / "reports"
    return DrillRun(cli("drill", "--sim-rollout-latency", "0.2", "--reports", str(reports)),
                    reports)


@pytest.fixture
def virtual_time(request: pytest.FixtureRequest) -> Iterator[None]:
    """The harness's clock made virtual for one test: the sim's rollout latencies pass
    without being waited for (tests/helpers/virtual_clock.py). A test marked ``realtime``
    keeps real time."""
    if request.node.get_closest_marker("realtime"):
        yield
        return
    with clock.use(VirtualClock()):
        yield
