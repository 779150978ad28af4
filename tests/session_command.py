"""Run a `harness` command in this test process on the session's sim: the command's own code
from the parser to the evidence, with only the opening of its world replaced (a fresh sim
per command would start moto, the sim apps and PostgreSQL again, and moto is one per
process). The sim gets the run's knobs (rollout latency, faults) and a reset, as a new one
would have them; they are put back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from harness.backend.sim import SimBackend
from harness.cli import promote, rollback, rollback_data, runs
from harness.runconfig import RunConfig


def use_session_sim(monkeypatch: pytest.MonkeyPatch, sim: SimBackend, *,
                    reset: bool = True) -> None:
    """``reset=False``: each command finds the world as the test (or the command before)
    left it."""
    @contextmanager
    def opened(run: RunConfig) -> Iterator[SimBackend]:
        sim.reconfigure(replace(sim.options, rollout_latency_s=run.sim.rollout_latency_s,
                                faults=frozenset(run.sim.faults)))
        if reset:
            sim.reset()
        yield sim

    for module in (rollback, rollback_data, promote, runs):
        if hasattr(module, "open_backend"):
            monkeypatch.setattr(module, "open_backend", opened)


@contextmanager
def on_session_sim(monkeypatch: pytest.MonkeyPatch, sim: SimBackend) -> Iterator[SimBackend]:
    """Commands in the block run on the session's sim (``use_session_sim``); its knobs are put
    back afterwards."""
    options = sim.options
    use_session_sim(monkeypatch, sim)
    try:
        yield sim
    finally:
        sim.reconfigure(options)
