"""The evidence journal: schema-valid output, verdict rules, redaction, reports/latest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.clock import Stopwatch
from harness.evidence.journal import Journal
from harness.evidence.writer import EvidenceInvalid, read_evidence, validate
from harness.redact import Redactor
from harness.report.publish import write_run


def journal_with(status: str = "passed", met: bool = True) -> Journal:
    j = Journal(kind="drill", backend="sim", topology="t", tier="staging", cycle="NQU-1", sha="a" * 40)
    c = j.begin_check("Feature", "Scenario")
    sw = Stopwatch()
    sw.mark("revert issued")
    j.record(sw.measure("application RTO", target_seconds=900 if met else 0.0,
                        resolution_seconds=0.1, seconds=1.0))
    j.end_check(c, status, 0.5)  # type: ignore[arg-type]
    j.finish()
    return j


def test_a_passing_run_is_schema_valid_and_passes(tmp_path: Path) -> None:
    run_dir = write_run(journal_with().to_json(), tmp_path, Redactor())
    doc = read_evidence(run_dir)
    assert doc["verdict"] == "pass" and doc["simulated"] is True
    [phase] = doc["measurements"][0]["phases"]
    assert phase["name"] == "revert issued" and phase["offset_s"] == pytest.approx(0, abs=0.05)
    assert {"summary.md", "junit.xml", "evidence.json"} <= {p.name for p in run_dir.iterdir()}
    assert (tmp_path / "latest").resolve() == run_dir.resolve()
    assert "SIMULATED" in " ".join(doc["notes"])


def test_a_failed_check_or_a_missed_target_fails_the_run() -> None:
    assert journal_with(status="failed").verdict == "fail"
    assert journal_with(met=False).verdict == "fail"


def test_an_empty_run_does_not_pass() -> None:
    assert Journal(kind="drill", backend="sim", topology="t", tier="staging").verdict == "incomplete"


def test_not_applicable_and_skipped_do_not_fail_the_run() -> None:
    assert journal_with(status="not_applicable").verdict == "pass"


def test_latest_points_at_the_newest_run(tmp_path: Path) -> None:
    first = write_run(journal_with().to_json(), tmp_path, Redactor())
    second = write_run(journal_with().to_json(), tmp_path, Redactor())
    assert first != second and (tmp_path / "latest").resolve() == second.resolve()


def test_invalid_evidence_is_refused_naming_the_path() -> None:
    doc = journal_with().to_json()
    doc["checks"][0]["status"] = "green"
    with pytest.raises(EvidenceInvalid, match="checks/0/status"):
        validate(doc)


def test_secrets_never_reach_the_run_folder(tmp_path: Path) -> None:
    env = {"HARNESS_STAGING_BASIC_AUTH_PASSWORD": "hunter2-basic",
           "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
           "HARNESS_STAGING_DSN": "postgresql://app:s3cr3t-dsn@db.internal:5432/app"}
    j = journal_with()
    c = j.checks[0]
    c.note("curl -u admin:hunter2-basic https://staging")
    c.error = "connect failed: postgresql://app:s3cr3t-dsn@db.internal:5432/app"
    j.add_note("key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked?")
    run_dir = write_run(j.to_json(), tmp_path, Redactor.from_env(env=env))
    for path in run_dir.iterdir():
        text = path.read_text(encoding="utf-8")
        for secret in ("hunter2-basic", "s3cr3t-dsn", "wJalrXUtnFEMI"):
            assert secret not in text, f"{secret} found in {path.name}"
    assert "***" in json.loads((run_dir / "evidence.json").read_text())["checks"][0]["error"]


def test_redactor_masks_dsn_passwords_it_was_not_told_about() -> None:
    r = Redactor()
    assert r.text("dsn=postgresql://u:pw123@h/db") == "dsn=postgresql://u:***@h/db"
    assert r.text("host=h password=pw123 dbname=x") == "host=h password=*** dbname=x"
    assert r.text("Authorization: Basic YWRtaW46aHVudGVyMg==") == "Authorization: Basic ***"
