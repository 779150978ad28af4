"""A verdict that cannot lie: a check passes only when it finished; the verdict is judged
against the checks expected to run; a run with no check is red in JUnit; `harness report`
recomputes the verdict from the checks; evidence from schema version 1 is read (upgraded);
incomplete drills never enter the RTO trend."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.evidence.journal import Expected, Journal, Stopped
from harness.evidence.verdict import verdict_of
from harness.evidence.writer import read_evidence, validate
from harness.redact import Redactor
from harness.report.history import history_row, in_trend, read_history, trend_columns
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.report.outcome import outcome
from harness.report.publish import write_run
from harness.report.svg import has_trend, trend_svg
from tests.fixtures.evidence.build import sim_drill


def journal(*expected: str) -> Journal:
    j = Journal(kind="drill", backend="sim", topology="t", tier="staging")
    for key in expected:
        j.expect(Expected(key, "Feature", f"scenario {key}"))
    return j


@pytest.mark.parametrize(("statuses", "met", "expected", "stopped", "verdict"), [
    (["passed", "passed"], [True], 2, False, "pass"),
    (["passed", "not_applicable", "skipped"], [], 3, False, "pass"),
    (["passed", "failed"], [True], 2, False, "fail"),
    (["passed"], [False], 1, False, "fail"),
    (["failed", "interrupted"], [], 2, True, "fail"),
    (["passed", "interrupted"], [], 2, True, "incomplete"),
    (["passed", "error"], [], 2, False, "incomplete"),
    (["passed", "not_run"], [], 2, False, "incomplete"),
    (["passed"], [], 2, False, "incomplete"),
    ([], [], 0, False, "incomplete"),
    (["passed", "passed"], [True], 2, True, "incomplete"),
])
def test_the_verdict_rules(statuses: list[str], met: list[bool], expected: int, stopped: bool,
                           verdict: str) -> None:
    checks = [{"status": s} for s in statuses]
    assert verdict_of(checks, [{"met": m} for m in met], expected=expected,
                      stopped=stopped) == verdict


def test_a_check_that_never_finished_is_not_passed() -> None:
    # What an interrupted call looks like to the journal: begun, one step begun, never ended.
    j = journal("a", "b")
    check = j.begin_check("Feature", "scenario a", key="a")
    from harness.clock import utcnow
    from harness.evidence.journal import StepRecord

    check.steps.append(StepRecord("When", "the revert runs", utcnow()))
    assert j.verdict != "pass"
    assert j.to_json()["checks"][0]["status"] == "error"  # written before finish: never passed
    j.finish(Stopped("SIGINT", j.where()))
    doc = j.to_json()
    assert [c["status"] for c in doc["checks"]] == ["interrupted", "not_run"]
    assert doc["checks"][0]["steps"][0]["status"] == "interrupted"
    assert doc["verdict"] == "incomplete" and doc["expected_checks"] == 2
    assert doc["stopped"]["where"] == "c001 scenario a: When the revert runs"
    validate(doc)


def test_a_run_that_never_started_its_checks_lists_them_as_not_run(tmp_path: Path) -> None:
    j = journal("a", "b", "c")
    j.finish(Stopped("SIGTERM", j.where()))
    run_dir = write_run(j.to_json(), tmp_path, Redactor())
    doc = read_evidence(run_dir)
    assert [c["status"] for c in doc["checks"]] == ["not_run"] * 3
    assert doc["stopped"]["where"] == "start-up, before the first check"
    cases = ET.parse(run_dir / "junit.xml").getroot().iter("testcase")
    assert [len(list(case.iter("error"))) for case in cases] == [1, 1, 1]


def test_junit_holds_one_testcase_per_expected_check_with_its_outcome() -> None:
    doc = sim_drill()
    doc["checks"][1]["status"], doc["checks"][1]["error"] = "failed", "breached"
    doc["checks"][2]["status"], doc["checks"][2]["error"] = "error", "setup: no database"
    doc["checks"][3]["status"] = "interrupted"
    doc["checks"][4]["status"] = "not_run"
    root = ET.fromstring(render_junit(doc).split("\n", 1)[1])
    kinds = [next((child.tag for child in case if child.tag != "system-out"), "pass")
             for case in root.iter("testcase")]
    assert kinds == ["pass", "failure", "error", "error", "error"]


def test_version_1_evidence_is_read_and_judged_by_version_2_rules(tmp_path: Path) -> None:
    doc = sim_drill()
    del doc["expected_checks"], doc["stopped"]
    doc["schema_version"] = 1
    doc["checks"][1]["status"] = "failed"  # a v1 file whose verdict said pass anyway
    (tmp_path / "evidence.json").write_text(json.dumps(doc))
    upgraded = read_evidence(tmp_path)
    assert upgraded["schema_version"] == 2 and upgraded["stopped"] is None
    assert upgraded["expected_checks"] == 5 and upgraded["verdict"] == "fail"
    validate(upgraded)


def test_incomplete_drills_are_marked_in_history_and_left_out_of_the_trend(
        tmp_path: Path) -> None:
    done = sim_drill()
    stopped = {**sim_drill(), "run_id": "20261128T080000Z-drill-stop", "verdict": "incomplete",
               "started_at": "2026-11-28T08:00:00.000Z"}
    rows = [history_row(done), history_row(stopped)]
    assert "incomplete" not in rows[0] and rows[1]["incomplete"] is True
    assert [in_trend(r) for r in rows] == [True, False]
    assert trend_columns(rows)[1][3] == "- (incomplete run)"
    only_stopped = trend_svg([rows[1]])
    assert not has_trend([rows[1]]) and "not measured by any of these 0" in only_stopped
    (tmp_path / "history.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert [r["run_id"] for r in read_history(tmp_path)] == [done["run_id"], stopped["run_id"]]


def test_damaged_history_lines_never_stop_a_drill_from_writing_its_report(
        tmp_path: Path) -> None:
    # A row missing a field (it used to crash every later drill while rendering), then a line
    # torn by a killed run (it used to swallow the next row).
    missing = {k: v for k, v in history_row(sim_drill()).items() if k != "verdict"}
    (tmp_path / "history.jsonl").write_text(json.dumps(missing) + '\n{"run_id": "torn"')
    j = journal()
    check = j.begin_check("Feature", "s", key="s")
    j.end_check(check, "passed", 0.1)
    j.finish()
    write_run(j.to_json(), tmp_path, Redactor())
    assert [r["run_id"] for r in read_history(tmp_path)] == [j.run_id]


def test_a_secret_equal_to_a_status_word_does_not_break_the_evidence(tmp_path: Path) -> None:
    j = journal()
    check = j.begin_check("Feature", "the service passed its checks", key="s")
    j.end_check(check, "passed", 0.1)
    j.finish()
    for secret in ("pass", "passed", "not_applicable", "incomplete"):
        run_dir = write_run(j.to_json(), tmp_path / secret, Redactor([secret]))
        doc = read_evidence(run_dir)
        assert doc["verdict"] == "pass" and doc["checks"][0]["status"] == "passed"


def test_the_outcome_of_a_stopped_drill_says_where_it_stopped_never_a_result() -> None:
    doc = sim_drill()  # every check passed and both RTOs met, then the run was stopped
    doc["stopped"] = {"signal": "SIGINT", "where": "c005 Acceptance: Then both RTOs are met",
                      "undo": "ran", "left": []}
    doc["checks"][-1]["status"] = "interrupted"
    doc["verdict"] = "incomplete"
    sentence = outcome(doc)
    assert sentence.startswith("INCOMPLETE") and "Acceptance met" not in sentence
    assert "stopped by SIGINT at c005 Acceptance" in sentence and "4 of 5 checks" in sentence
    assert "INCOMPLETE" in render_markdown(doc).splitlines()[0]
