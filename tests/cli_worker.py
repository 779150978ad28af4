"""A warm, clean process for the end-to-end tests: `harness ...` (the CLI's main) and pytest
on the repository's features run in it as a user runs them, one at a time, all sharing one
PostgreSQL and the imports already made, instead of a cold process (imports, a PostgreSQL
start, a first moto seeding) each. A process apart from the test session because moto is
process-global: the session's own sim must not leak into the runs, nor theirs into it.

Each run gets the environment it asks for on top of the worker's (undone afterwards), and
its exit code, stdout, stderr (a traceback there if it crashed, as a process would print)
and the AWS calls the harness itself made (not the sim's seeding or its apps' reads).
``outcome``, ``environment`` and ``follow_parent`` serve the AWS stand-in's worker too
(tests/standin.py, tests/helpers/no_sim.py), which replaces the environment instead.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from botocore.client import BaseClient

SIM_CODE = str(Path(__file__).resolve().parents[1] / "harness" / "backend" / "sim")
_server: Any = None


def follow_parent() -> None:
    """Pool initializer: the worker ends when the test session that made it is gone (killed,
    say), so neither it nor its PostgreSQL (whose watchdog sees the worker end) outlives it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def _shared_postgres() -> str:
    global _server
    if _server is None:
        from harness.backend.sim.dataplane import no_durability
        from harness.io.db.providers import open_postgres

        _server = open_postgres()
        no_durability(_server)
        atexit.register(_server.close)
    dsn: str = _server.dsn("postgres")
    return dsn


@contextlib.contextmanager
def _recorded_aws_calls(calls: list[list[str]]) -> Iterator[None]:
    """Every AWS call the harness itself makes, on the real botocore client path (the sim's
    own seeding and its app's reads run from harness/backend/sim/ and are left out)."""
    original = BaseClient._make_api_call

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if not any(f.filename.startswith(SIM_CODE) for f in traceback.extract_stack()):
            calls.append([client.meta.service_model.service_name, operation])
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", recording):
        yield


@contextlib.contextmanager
def _captured(into: dict[str, str]) -> Iterator[None]:
    """stdout and stderr captured at the file-descriptor level, as a process's output is:
    what Python prints and what a subprocess (pg_dump, pytest's own capture) writes alike."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            for name, file in (("stdout", out), ("stderr", err)):
                file.seek(0)
                into[name] = file.read().decode("utf-8", "replace")


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """``env`` as the whole of os.environ for the block (as a process started with it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def outcome(call: Callable[[], Any], env: AbstractContextManager[Any]) -> dict[str, Any]:
    """``call()`` run as a process would run it, in the environment ``env`` sets up: its exit
    code, stdout and stderr, and the AWS calls it made."""
    calls: list[list[str]] = []
    output: dict[str, str] = {}
    with env, _captured(output), _recorded_aws_calls(calls):
        try:
            code = int(call())
        except SystemExit as exc:  # argparse's usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
    return {"code": code, "calls": calls, **output}


def _run(call: Callable[[], Any], env: dict[str, str]) -> dict[str, Any]:
    from harness.runconfig import SIM_POSTGRES_DSN_ENV

    return outcome(call, mock.patch.dict(os.environ, {SIM_POSTGRES_DSN_ENV: _shared_postgres(),
                                                      **env}))


def run_cli(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``harness ARGS`` with ``env`` added."""
    from harness.cli.main import main

    return _run(lambda: main(args), env)


def run_pytest(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``pytest ARGS`` (the repository's configuration, its working directory) with ``env``."""
    import pytest

    return _run(lambda: pytest.main(args), env)


class CliResult:
    """One run in the worker, read like a finished process."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.returncode: int = result["code"]
        self.stdout: str = result["stdout"]
        self.stderr: str = result["stderr"]
        self.calls: list[tuple[str, str]] = [(c[0], c[1]) for c in result["calls"]]


class Cli:
    """The test session's handle on its worker (``tests/conftest.py``: the ``cli`` fixture)."""

    def __init__(self, pool: Executor) -> None:
        self._pool = pool

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> CliResult:
        """``harness ARGS``."""
        return CliResult(self._pool.submit(run_cli, list(args), env or {}).result())

    def pytest(self, *args: str, env: dict[str, str] | None = None) -> CliResult:
        """``pytest ARGS`` on the repository (pass absolute paths)."""
        return CliResult(self._pool.submit(run_pytest, list(args), env or {}).result())


@dataclass(frozen=True)
class DrillRun:
    """A drill that ran in the worker (the ``default_drill`` fixture) and where it wrote."""

    result: CliResult
    reports: Path

    def copy(self, into: Path) -> Path:
        """A copy of the reports folder (history, run folder, ``latest``) for a test that
        changes it; returns the copy's reports folder."""
        return Path(shutil.copytree(self.reports, into / "reports", symlinks=True))
