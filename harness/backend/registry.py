"""The backends a run can use, by name. A new backend is one module in this package plus one
entry in ``BACKENDS``; its module is imported only when a run asks for it (the sim pulls in
moto)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # base imports boto3 and psycopg: only the backend being opened loads them
    from harness.backend.base import Backend
    from harness.runconfig import RunConfig


def _aws(run: RunConfig) -> Backend:
    from harness.backend.aws import AwsBackend

    return AwsBackend(run.topology)


def _sim(run: RunConfig) -> Backend:
    from harness.backend.sim import SimBackend, SimOptions

    knobs = run.sim
    return SimBackend(run.topology, SimOptions(rollout_latency_s=knobs.rollout_latency_s,
                                               faults=frozenset(knobs.faults),
                                               postgres_dsn=knobs.postgres_dsn,
                                               deregistration_delay_s=knobs.deregistration_delay_s)
                      ).start()


BACKENDS: dict[str, Callable[[RunConfig], Backend]] = {"sim": _sim, "aws": _aws}


def prepare(run: RunConfig) -> None:
    """Start, in the background, what opening the run's backend will wait for (the sim: its
    PostgreSQL), so that it overlaps whatever comes first (pytest's start-up, collection)."""
    if run.backend == "sim" and run.sim.postgres_dsn is None:
        from harness.io.db.providers import prestart

        prestart()


@contextmanager
def open_backend(run: RunConfig) -> Iterator[Backend]:
    """The run's backend, started, and closed however the run ends."""
    backend = BACKENDS[run.backend](run)
    try:
        yield backend
    finally:
        backend.close()
