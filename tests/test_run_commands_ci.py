"""A run command's result where CI reads it, shown on `harness rollback` (every run command
hands its result to the same ``harness.cli.publish``): the step outputs, the step summary
written once, ``::error`` annotations for failed checks in GitHub Actions, ``--json`` alone on
stdout, and ``--notify`` delivered to a real local server for a pass and a fail; a dead URL
changes neither the verdict nor the exit code."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from actions_support import parse_outputs
from local_http import serve
from session_command import on_session_sim, use_session_sim

from harness.backend.sim import SimBackend
from harness.cli import main as cli
from harness.promote.lock import TierLock
from harness.report.machine import error_annotations
from harness.world import World

pytestmark = pytest.mark.sim_only


@pytest.fixture
def sim(sim_backend: SimBackend, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimBackend]:
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    with on_session_sim(monkeypatch, sim_backend) as sim:
        yield sim


@pytest.fixture
def actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """GitHub Actions' environment: the two files a step appends to."""
    output, summary = tmp_path / "github_output", tmp_path / "step_summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return output, summary


def rollback(capsys: pytest.CaptureFixture[str], reports: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["rollback", "--sim-rollout-latency", "0.2", "--reason", "INC-7",
                     "--reports", str(reports), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def failing_rollback(sim: SimBackend, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str], reports: Path,
                     *args: str) -> tuple[int, str, str]:
    """A rollback whose tier lock is held by a promote: its first check fails."""
    sim.reset()
    use_session_sim(monkeypatch, sim, reset=False)
    held = TierLock(World(sim), "staging", operation="promote", reason="NQU-1", owner="a promote")
    held.acquire()
    try:
        return rollback(capsys, reports, *args)
    finally:
        held.release()


def test_a_pass_writes_the_outputs_later_steps_read_and_the_summary_once(
        sim: SimBackend, actions: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    output, summary = actions
    code, out, err = rollback(capsys, tmp_path / "reports", "--to-revision", "1", "--json")
    assert code == 0, out + err
    shown = json.loads(out)  # stdout is the JSON alone
    written = parse_outputs(output.read_text())
    assert {k: written[k] for k in ("verdict", "kind", "tier", "from_revision", "to_revision",
                                    "application_rto_met")} == {
        "verdict": "pass", "kind": "rollback", "tier": "staging",
        "from_revision": "invapp-staging-app:3", "to_revision": "invapp-staging-app:1",
        "application_rto_met": "true"}
    assert float(written["application_rto_s"]) == shown["measurements"][0]["seconds"] > 0
    assert written["report"] == shown["report"] and Path(written["report"]).is_file()
    assert written["outcome"].startswith("Rolled back staging to invapp-staging-app:1")
    text = summary.read_text()
    assert text.startswith("## ROLLBACK PASS [SIMULATED]") and text.count("## ROLLBACK") == 1
    assert "::error" not in out + err


def test_a_fail_annotates_each_failed_check_on_stderr_and_outputs_fail(
        sim: SimBackend, actions: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    output, summary = actions
    code, out, err = failing_rollback(sim, monkeypatch, capsys, tmp_path / "reports", "--json")
    assert code == 1, out + err
    assert json.loads(out)["verdict"] == "fail"
    annotations = [line for line in err.splitlines() if line.startswith("::error")]
    assert len(annotations) == 1 and annotations[0].startswith("::error title=ROLLBACK tier lock::")
    assert "held by a promote" in annotations[0]
    written = parse_outputs(output.read_text())
    assert written["verdict"] == "fail" and "application_rto_s" not in written
    assert summary.read_text().startswith("## ROLLBACK FAIL")


def test_outside_github_actions_nothing_is_written_for_it(
        sim: SimBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = failing_rollback(sim, monkeypatch, capsys, tmp_path / "reports")
    assert code == 1 and "::error" not in out + err
    assert out.splitlines()[0].startswith("ROLLBACK FAIL")


def test_an_annotation_keeps_a_reason_whole_and_cannot_start_another_command() -> None:
    doc: dict[str, Any] = {"kind": "drill", "measurements": [], "checks": [
        {"name": "a: b, c", "status": "failed", "error": "first line 100%\n::error::forged",
         "result": None},
        {"name": "fine", "status": "passed", "error": None, "result": "ok"}]}
    (line,) = error_annotations(doc)
    assert line == "::error title=DRILL a%3A b%2C c::first line 100%25%0A::error::forged"


class Hook:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        self.received.append(json.loads(request.rfile.read(length)))
        request.send_response(200)
        request.send_header("Content-Length", "2")
        request.end_headers()
        request.wfile.write(b"ok")


def test_notify_delivers_a_pass(sim: SimBackend, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    hook = Hook()
    with serve(hook.answer) as base:
        code, out, err = rollback(capsys, tmp_path, "--notify", f"{base}/hook")
    assert code == 0, out + err
    (body,) = hook.received
    assert body["verdict"] == "pass" and body["kind"] == "rollback"
    assert "notified http://127.0.0.1" in err and "notified" not in out


def test_notify_delivers_a_fail(sim: SimBackend, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    hook = Hook()
    with serve(hook.answer) as base:
        code, out, err = failing_rollback(sim, monkeypatch, capsys, tmp_path,
                                          "--notify", f"{base}/hook")
    assert code == 1, out + err
    (body,) = hook.received
    assert body["verdict"] == "fail"
    assert any("held by a promote" in json.dumps(f) for f in body["failed"])


@pytest.mark.parametrize("failing", [False, True])
def test_a_dead_url_changes_neither_verdict_nor_exit_code(
        sim: SimBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], failing: bool) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/hook"  # closed again: nothing listens
    args = ("--json", "--notify", dead)
    if failing:
        code, out, err = failing_rollback(sim, monkeypatch, capsys, tmp_path, *args)
    else:
        code, out, err = rollback(capsys, tmp_path, *args)
    assert (code, json.loads(out)["verdict"]) == ((1, "fail") if failing else (0, "pass"))
    assert "notification NOT delivered" in err
