"""One preflight before any work: credentials acting in the wrong account, a DSN that is not
set, an endpoint that does not answer and an unwritable reports folder are all listed in one
exit-2 error, naming both accounts, before anything is evaluated or written."""

from __future__ import annotations

from pathlib import Path

import pytest
from moto import mock_aws

from harness.cli import preflight
from harness.cli.main import main

NO_ENDPOINTS = {"HARNESS_STAGING_DSN": None, "HARNESS_PROD_DSN": None,
                "AWS_ENDPOINT_URL": None, "AWS_PROFILE": None,
                "AWS_CONFIG_FILE": "/nonexistent/aws-config",
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials"}


@pytest.fixture
def other_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials that work, in moto's default account (123456789012): neither tier's."""
    for key, value in {**NO_ENDPOINTS, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)


def test_the_gate_with_the_wrong_accounts_credentials_names_both_and_evaluates_nothing(
        other_account: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports"
    with mock_aws():
        code = main(["gate", "--backend", "aws", "--cycle", "NQU-865", "--sha", "a" * 40,
                     "--reports", str(reports)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert ("tier 'prod' lives in account 760007728097 but its credentials act in account "
            "123456789012") in err
    assert ("tier 'staging' lives in account 961381384763 but its credentials act in account "
            "123456789012") in err
    # Everything else that would stop the run is in the same message.
    assert "$HARNESS_PROD_DSN" in err and "$HARNESS_STAGING_DSN" in err
    assert "health endpoint https://staging.nquiry.ai" in err
    assert "nothing was done" in err
    assert not reports.exists()  # no run folder, no evidence: no item was evaluated


def test_a_drill_checks_only_its_own_tier(other_account: None, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        code = main(["drill", "--backend", "aws", "--reports", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "tier 'staging' lives in account 961381384763" in err
    assert "tier 'prod'" not in err


def test_the_reports_folder_must_be_a_writable_folder(tmp_path: Path) -> None:
    assert preflight.reports_problems(tmp_path / "new" / "reports") == []
    # Checked, not kept: the folders it made for the check are gone again.
    assert not (tmp_path / "new").exists()
    (tmp_path / "kept").mkdir()
    assert preflight.reports_problems(tmp_path / "kept") == []
    assert (tmp_path / "kept").is_dir() and not any((tmp_path / "kept").iterdir())
    (tmp_path / "file").write_text("x")
    assert "is a file" in preflight.reports_problems(tmp_path / "file")[0]
    assert "cannot be written" in preflight.reports_problems(tmp_path / "file" / "r")[0]


def test_an_unreachable_endpoint_is_named_with_its_host_and_port() -> None:
    problem = preflight._tcp_problem("http://127.0.0.1:1/health")
    assert problem is not None and "127.0.0.1:1" in problem
