"""No secret reaches a run folder: a basic-auth password, a DSN password and an AWS secret
key, planted in the environment and in everything a check can record, are absent from every
file written for the run (evidence, summary, JUnit, HTML, history)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cli_worker import Cli

from harness.clock import Measurement, Phase, utcnow
from harness.evidence.journal import Journal
from harness.redact import Redactor
from harness.report.publish import write_run

BASIC_USER = "ops-user"
BASIC_PASSWORD = "Bq7-basic-Pw-x41"
DSN_PASSWORD = "Dsn-Pa55/w0rd:91"
DSN_PASSWORD_URL = "Dsn-Pa55%2Fw0rd%3A91"  # as it appears inside a DSN
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz3xAmPLEKEY"
DSN = f"postgresql://app:{DSN_PASSWORD_URL}@invapp-staging-postgres.rds.test:5432/invapp"
BASIC_B64 = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()

# Every form a leak could take: the raw values, the URL-encoded password, the header value.
FORBIDDEN = (BASIC_PASSWORD, DSN_PASSWORD, DSN_PASSWORD_URL, AWS_SECRET, BASIC_B64)


@pytest.fixture
def planted_env(monkeypatch: pytest.MonkeyPatch) -> Redactor:
    monkeypatch.setenv("STAGING_BASIC_AUTH", f"{BASIC_USER}:{BASIC_PASSWORD}")
    monkeypatch.setenv("STAGING_DATABASE_DSN", DSN)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    # The topology names the basic-auth variable; the others are secret by name.
    return Redactor.from_env(secret_env_names=["STAGING_BASIC_AUTH"])


def leaky_journal() -> Journal:
    journal = Journal(kind="drill", backend="sim", topology="je-vectors", tier="staging",
                      run_id="20261127T090000Z-drill-leak")
    journal.add_note(f"health checks use basic auth {BASIC_USER}:{BASIC_PASSWORD}")
    check = journal.begin_check("features/drill/rollback_drill.feature",
                                f"revert with DSN {DSN}")
    check.note(f"curl -u {BASIC_USER}:{BASIC_PASSWORD} https://staging.test/api/health?deep=true")
    check.note(f"Authorization: Basic {BASIC_B64}")
    check.note(f"psql: password authentication failed, password was {DSN_PASSWORD}")
    check.note(f"env AWS_SECRET_ACCESS_KEY={AWS_SECRET}")
    check.link(f"db {DSN_PASSWORD}", DSN)
    check.attach("connection", "json", {"dsn": DSN, "password": DSN_PASSWORD,
                                        "aws": {"secret": AWS_SECRET}})
    check.attach("basic auth probe", "text", f"user={BASIC_USER} password={BASIC_PASSWORD}")
    check.attach("table", "table", [{"key": "aws", "value": AWS_SECRET}])
    check.attach("diff", "diff", f"-password {DSN_PASSWORD}\n+password {BASIC_PASSWORD}")
    from harness.evidence.journal import StepRecord

    now = utcnow()
    check.steps.append(StepRecord("When", f"the app connects with {DSN}", now, now, 0.1,
                                  "failed", f"OperationalError: {DSN} secret {AWS_SECRET}"))
    journal.end_check(check, "failed", 0.2,
                      error=f"401 for {BASIC_USER}:{BASIC_PASSWORD}; key {AWS_SECRET}; "
                            f"bare basic password {BASIC_PASSWORD}")
    journal.record(Measurement("application RTO", 2.0, 900.0, 0.25, now,
                               (Phase(f"healthy as {BASIC_PASSWORD}", 2.0),),
                               note=f"dsn {DSN}"), check)
    journal.finish()
    return journal


def run_folder_text(reports: Path) -> dict[str, str]:
    return {str(p.relative_to(reports)): p.read_bytes().decode("utf-8", "replace")
            for p in sorted(reports.rglob("*")) if p.is_file()}


def test_planted_secrets_reach_no_file(planted_env: Redactor, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    run_dir = write_run(leaky_journal().to_json(), reports, planted_env)
    files = run_folder_text(reports)
    assert {"evidence.json", "summary.md", "junit.xml", "report.html"} <= {
        Path(name).name for name in files}
    assert "history.jsonl" in files
    leaks = [(name, secret) for name, text in files.items() for secret in FORBIDDEN
             if secret in text]
    assert leaks == []
    # The redaction happened (masked, not dropped): the check is still there to read.
    evidence = json.loads((run_dir / "evidence.json").read_text())
    assert "***" in evidence["checks"][0]["error"]
    assert "***" in (run_dir / "report.html").read_text()


def test_the_test_sees_a_leak_when_nothing_is_redacted(tmp_path: Path) -> None:
    run_dir = write_run(leaky_journal().to_json(), tmp_path, Redactor())
    text = (run_dir / "report.html").read_text()
    assert AWS_SECRET in text and BASIC_PASSWORD in text


def _cli_env() -> dict[str, str]:
    return {
        "HARNESS_STAGING_BASIC_AUTH_USER": BASIC_USER,
        "HARNESS_STAGING_BASIC_AUTH_PASSWORD": BASIC_PASSWORD,
        "HARNESS_STAGING_DSN": DSN,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "COLUMNS": "200",
    }


@pytest.mark.slow
def test_a_real_verbose_gate_run_writes_no_secret(cli: Cli, tmp_path: Path) -> None:
    """The gate as a user runs it, with -v (pytest's own output shown) and secrets planted in
    its environment. (The drill's run is tests/test_secret_channels.py; a cycle id can no
    longer carry a secret: it must be one plain token.)"""
    reports = tmp_path / "reports"
    done = cli("gate", "-v", "--reports", str(reports), "--cycle", "NQU-865", env=_cli_env())
    output = done.stdout + done.stderr
    assert (reports / "latest" / "evidence.json").is_file(), output
    files = run_folder_text(reports)
    assert {"report.html", "summary.md", "junit.xml", "evidence.json"} <= {
        Path(n).name for n in files}
    leaks = [(name, secret) for name, text in {**files, "console": output}.items()
             for secret in FORBIDDEN if secret in text]
    assert leaks == []
    assert "NQU-865" in (reports / "latest" / "report.html").read_text()
