"""Drill step 4 as a whole: the sim faults make it FAIL (a failed check naming the phase,
not a crash), and the acceptance verdict reads only what drill scenarios measured."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_worker import Cli

from harness.clock import Measurement
from harness.drill import acceptance
from harness.evidence.journal import Journal

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("fault", "phase", "why"), [
    ("restore-fails", "restored instance available", "incompatible-restore"),
    ("corrupt-restore", "data verified", "public.documents: 1999 rows, expected 2000"),
])
def test_each_data_fault_fails_step_4_naming_the_phase(cli: Cli, tmp_path: Path, fault: str,
                                                       phase: str, why: str) -> None:
    run = cli.pytest(str(ROOT / "steps"), "-m", "step4 or acceptance", "-q", "--sim-fault", fault,
                     "--reports", str(tmp_path), "--run-id", "r1", "--run-kind", "drill")
    assert run.returncode == 1, run.stdout[-2000:]
    doc = json.loads((tmp_path / "r1" / "evidence.json").read_text())
    step4, verdict = doc["checks"]
    assert step4["status"] == "failed" and verdict["status"] == "failed"
    assert f"data recovery failed at phase '{phase}'" in step4["error"] and why in step4["error"]
    assert not any("Traceback" in (c["error"] or "") for c in doc["checks"])
    (data_rto,) = [m for m in doc["measurements"] if m["name"] == "data RTO"]
    assert not data_rto["completed"] and not data_rto["met"]
    assert "cleanup: restored instances: deleted" in step4["detail"] or fault == "restore-fails"
    assert "cleanup: snapshots: deleted invapp-staging-postgres-drill-r1" in step4["detail"]
    assert "cleanup: tier staging is clean of what drill r1 left" in step4["detail"]
    assert doc["verdict"] == "fail"


def measurement(name: str, seconds: float, target: float, completed: bool = True) -> Measurement:
    return Measurement(name, seconds, target, 0.1, datetime.now(UTC), completed=completed)


def journal_with(*entries: tuple[list[str], Measurement]) -> Journal:
    journal = Journal(kind="drill", backend="sim", topology="t", tier="staging")
    for tags, m in entries:
        check = journal.begin_check("f", "s", tags=tags)
        journal.record(m, check)
    return journal


def test_acceptance_needs_both_rtos_measured_by_drill_scenarios() -> None:
    both = journal_with((["drill", "step2"], measurement("application RTO", 60, 900)),
                        (["drill", "step4"], measurement("data RTO", 600, 3600)))
    assert all(f.met for f in acceptance.findings(both))
    only_app = journal_with((["drill"], measurement("application RTO", 60, 900)),
                            (["rollback"], measurement("data RTO", 600, 3600)))
    app, data = acceptance.findings(only_app)
    assert app.met and not data.met
    assert data.describe() == "data RTO: NOT measured by this drill"


def test_acceptance_fails_on_a_breached_or_incomplete_rto() -> None:
    breached = journal_with((["drill"], measurement("application RTO", 901, 900)),
                            (["drill"], measurement("data RTO", 5, 3600, completed=False)))
    app, data = acceptance.findings(breached)
    assert app.describe() == "application RTO: 901.00 s against 900 s, BREACHED"
    assert not data.met and data.describe().startswith("data RTO: did not complete")
