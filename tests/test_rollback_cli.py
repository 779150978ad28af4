"""`harness rollback` (Layer 1) as an evidence run: run folder, report and decision record
(who, why, from and to revision, measured RTO); `--plan` on production reads only and needs
no write flag; a refused rollback writes nothing; a rollback that fails writes its evidence
and exits 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from session_command import on_session_sim, use_session_sim

from harness.backend.sim import SimBackend
from harness.cli import main as cli
from harness.promote.inventory import inventory
from harness.promote.lock import TierLock
from harness.world import World

pytestmark = pytest.mark.sim_only


@pytest.fixture
def sim(sim_backend: SimBackend, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimBackend]:
    with on_session_sim(monkeypatch, sim_backend) as sim:
        yield sim


def rollback(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["rollback", "--sim-rollout-latency", "0.2", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def evidence(reports: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((reports / "latest" / "evidence.json").read_text())
    return doc


def test_a_rollback_writes_its_run_folder_and_decision_record(
        sim: SimBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = rollback(capsys, "--reason", "INC-7 bad config", "--to-revision", "1",
                              "--by", "alice", "--reports", str(tmp_path))
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("ROLLBACK PASS [SIMULATED] · tier staging")
    assert lines[1].startswith("Rolled back staging to invapp-staging-app:1, healthy after")
    assert "SIMULATED, state is not kept" in err  # what is about to run: stderr
    doc = evidence(tmp_path)
    assert (doc["kind"], doc["verdict"]) == ("rollback", "pass")
    assert [(c["name"], c["status"]) for c in doc["checks"]] == [
        ("tier lock", "passed"),
        ("revert invapp-staging-app:3 -> invapp-staging-app:1 and verify", "passed")]
    rto = doc["measurements"][0]
    assert rto["name"] == "application RTO" and rto["check"] == "c002" and rto["met"]
    assert [p["name"] for p in rto["phases"]][:2] == ["revert issued", "ECS updated"]
    # The RTO ends at a phase of its own: the first healthy answer on the target revision.
    assert rto["seconds"] in [p["offset_s"] for p in rto["phases"]][2:]
    record = doc["decision"]["rollback"]
    assert record == {"layer": "application", "ordered_by": "alice", "reason": "INC-7 bad config",
                      "from_revision": "invapp-staging-app:3",
                      "to_revision": "invapp-staging-app:1", "migration": None,
                      "data_path": None, "rto_name": "application RTO",
                      "rto_seconds": rto["seconds"]}
    assert doc["decision"]["verdict"] == "pass" and len(doc["decision"]["sha"]) == 40
    run = (tmp_path / "latest").resolve()
    assert {p.name for p in run.iterdir()} >= {"evidence.json", "report.html", "summary.md",
                                               "junit.xml"}
    page = (run / "report.html").read_text()
    section = page[page.index('id="decision"'):page.index('id="measurements"')]
    for shown in ("Rollback decision record (Layer 1, the application)", "alice",
                  "INC-7 bad config", "invapp-staging-app:3", "invapp-staging-app:1"):
        assert shown in section, shown


def test_plan_on_production_reads_only_and_needs_no_write_flag(
        sim: SimBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    sim.reset()
    use_session_sim(monkeypatch, sim, reset=False)
    world = World(sim)
    before = inventory(world)
    code, out, err = rollback(capsys, "--tier", "prod", "--reason", "INC-8", "--plan",
                              "--reports", str(tmp_path))
    assert code == 0, out + err
    assert "revert tier prod: invapp-dev-app:3" in out and "plan only: nothing was changed" in out
    assert inventory(world) == before
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_a_refused_rollback_writes_nothing(sim: SimBackend, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = rollback(capsys, "--tier", "prod", "--reason", "INC-9",
                              "--reports", str(tmp_path))
    assert code == 2 and "explicit flag" in err, out + err
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_a_rollback_that_fails_writes_its_evidence_and_exits_1(
        sim: SimBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    sim.reset()
    use_session_sim(monkeypatch, sim, reset=False)
    held = TierLock(World(sim), "staging", operation="promote", reason="NQU-1", owner="a promote")
    held.acquire()
    try:
        code, out, err = rollback(capsys, "--reason", "INC-10", "--reports", str(tmp_path))
    finally:
        held.release()
    assert code == 1, out + err
    doc = evidence(tmp_path)
    assert doc["verdict"] == "fail" and doc["decision"]["verdict"] == "fail"
    assert [(c["name"], c["status"]) for c in doc["checks"]] == [("tier lock", "failed")]
    assert "held by a promote" in doc["checks"][0]["error"]
    assert doc["decision"]["rollback"]["rto_seconds"] is None
    assert out.splitlines()[0].startswith("ROLLBACK FAIL")
