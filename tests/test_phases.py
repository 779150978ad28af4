"""A phased run (rollback, rollback data) is judged on every phase and on how it ended."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.evidence.journal import Journal
from harness.rollback.phases import PhaseLog


def _journal() -> Journal:
    return Journal(kind="rollback", backend="sim", topology="t", tier="staging")


def test_an_error_after_the_phases_passed_fails_the_run() -> None:
    journal = _journal()
    log = PhaseLog("rollback", journal)
    with log.phase("swap and verify"):
        pass
    assert journal.verdict == "pass"
    log.unfinished(HarnessError("the tier lock could not be released", fix="harness cleanup"))
    assert journal.verdict == "fail"
    assert journal.checks[-1].error is not None
    assert "could not be released" in journal.checks[-1].error


def test_an_error_inside_a_phase_is_recorded_once() -> None:
    journal = _journal()
    log = PhaseLog("rollback", journal)
    error = HarnessError("the swap was refused")
    with pytest.raises(HarnessError), log.phase("swap and verify"):
        raise error
    log.unfinished(error)
    assert [c.status for c in journal.checks] == ["failed"]
