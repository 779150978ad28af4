"""A clean process for the gate acceptance tests: `harness gate` runs in it as a user runs it
(the CLI's main), one case at a time, all cases sharing one PostgreSQL and warm imports.
A separate process because the test session's own sim (moto is process-global) must not
leak into the gate's sim."""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import traceback
from pathlib import Path
from typing import Any
from unittest import mock

from botocore.client import BaseClient

SIM_CODE = str(Path(__file__).resolve().parents[1] / "harness" / "backend" / "sim")
_server: Any = None


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
def _recorded_aws_calls(calls: list[list[str]]) -> Any:
    """Every AWS call the harness itself makes, on the real botocore client path (the sim's
    own seeding and its app's reads run from harness/sim/ and are left out)."""
    original = BaseClient._make_api_call

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if not any(f.filename.startswith(SIM_CODE) for f in traceback.extract_stack()):
            calls.append([client.meta.service_model.service_name, operation])
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", recording):
        yield


def run_gate(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``harness gate ARGS`` with ``env`` added: exit code, stdout, stderr, AWS calls."""
    from harness.cli.main import main
    from harness.runconfig import SIM_POSTGRES_DSN_ENV

    calls: list[list[str]] = []
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, {SIM_POSTGRES_DSN_ENV: _shared_postgres(), **env}), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            _recorded_aws_calls(calls):
        code = main(["gate", *args])
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue(), "calls": calls}


def verdict(result: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(result["stdout"])
    return doc
