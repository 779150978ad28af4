"""The outcome sentence (banner and summary.md), told from the evidence alone, and reasons
that are never cut: HTML, Markdown, the gate's JSON and JUnit carry every word."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from markupsafe import escape
from report_support import fixture

from harness.promote import promote
from harness.report.format import first_line, result_text
from harness.report.gate import verdict_json
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.report.outcome import LAYER1_RTO, PROMOTE_RTO, ROLLBACK_RTO, outcome
from harness.rollback.recovery import APPLICATION_RTO

ALL = ("sim-drill", "aws-drill-failed", "gate", "sim-drill-never-recover",
       "sim-promote-rolled-back")


def test_the_names_match_what_promote_and_rollback_record() -> None:
    assert (PROMOTE_RTO, ROLLBACK_RTO) == (promote.PROMOTE_RTO, promote.ROLLBACK_RTO)
    assert LAYER1_RTO == APPLICATION_RTO


def test_a_promote_that_rolled_back_says_where_to_and_that_it_is_healthy() -> None:
    assert outcome(fixture("sim-promote-rolled-back")) == (
        "Promotion of 3f9c2e1b7a0d to prod failed at 'swap and verify'; rolled back to "
        "invapp-dev-app:3, healthy after 1.07 s.")


def _promoted() -> dict[str, Any]:
    doc = fixture("sim-promote-rolled-back")
    doc["checks"] = doc["checks"][:5]
    doc["checks"][4].update(status="passed", error=None)
    swap = doc["measurements"][1]
    swap.update(seconds=2.4, completed=True, met=True)
    doc["measurements"] = doc["measurements"][:2]
    doc["verdict"] = "pass"
    return doc


def test_the_other_promote_outcomes() -> None:
    assert outcome(_promoted()) == (
        "Promoted 3f9c2e1b7a0d to prod: invapp-dev-app:4 healthy after 2.4 s.")
    slow = _promoted()
    slow["measurements"][1].update(seconds=1000.0, met=False)
    slow["verdict"] = "fail"
    assert outcome(slow) == ("Promotion of 3f9c2e1b7a0d to prod failed: invapp-dev-app:4 healthy "
                             "after 16.7 min, over the 15 min target.")
    stuck = fixture("sim-promote-rolled-back")
    stuck["measurements"][2].update(completed=False, met=False, seconds=6.02)
    assert outcome(stuck).endswith(
        "the rollback to invapp-dev-app:3 is NOT healthy: gave up at the 6 s deadline: "
        "production needs a person now (Layer-1 revert by hand).")
    early = fixture("sim-promote-rolled-back")
    early["checks"] = early["checks"][:2]
    early["checks"][1].update(status="failed", error="snapshot stuck")
    early["measurements"] = []
    assert outcome(early) == ("Promotion of 3f9c2e1b7a0d to prod failed at 'pre-promotion "
                              "snapshot'; the service was not swapped.")
    # Evidence written before measurements named what recovered still reads sensibly.
    legacy = fixture("sim-promote-rolled-back")
    for m in legacy["measurements"]:
        del m["subject"], m["deadline_seconds"]
    assert "rolled back to the previous revision, healthy after 1.07 s" in outcome(legacy)


def test_drill_outcomes_name_each_rto() -> None:
    assert outcome(fixture("sim-drill")) == (
        "Acceptance met, both RTOs: application RTO 2.31 s of 15 min met; "
        "data RTO 6.84 s of 1 h met.")
    assert outcome(fixture("sim-drill-never-recover")) == (
        "Acceptance NOT met: application RTO did not complete (gave up at the 8 s deadline); "
        "data RTO 6.84 s of 1 h met; 2 of 5 checks failed.")
    assert outcome(fixture("aws-drill-failed")) == (
        "Acceptance NOT met: application RTO 16.9 min of 15 min BREACHED; data RTO did not "
        "complete (stopped after 1 h); 2 of 2 checks failed.")
    partial = fixture("sim-drill")
    partial["measurements"].pop()
    assert "data RTO not measured" in outcome(partial)


def test_gate_rollback_and_other_outcomes() -> None:
    assert outcome(fixture("gate")) == (
        "All 1 gate items green (1 not applicable): the promotion may proceed.")
    red = fixture("gate")
    red["checks"][0]["status"], red["verdict"] = "failed", "fail"
    assert outcome(red) == ("1 of 1 gate items not green: Staging deep health is ok "
                            "(1 not applicable); do not promote this cycle.")
    rollback = fixture("sim-drill")
    rollback["kind"], rollback["tier"] = "rollback", "prod"
    rollback["measurements"] = rollback["measurements"][:1]
    assert outcome(rollback) == ("Rolled back prod to invapp-staging-app:7, healthy after "
                                 "2.31 s.")
    rollback["measurements"][0].update(completed=False, met=False, seconds=8.1)
    assert outcome(rollback) == ("Rollback of prod to invapp-staging-app:7: NOT healthy: gave "
                                 "up at the 8 s deadline.")
    tests = fixture("aws-drill-failed")
    tests["kind"] = "tests"
    assert outcome(tests).startswith("0 of 2 checks passed; failed: Layer-1 revert")


@pytest.mark.parametrize("name", ALL)
def test_the_outcome_leads_the_banner_and_the_summary(name: str) -> None:
    doc = fixture(name)
    page = render_html(doc)
    banner = page[page.index('id="verdict"'): page.index("</header>")]
    assert str(escape(outcome(doc))) in banner
    summary = render_markdown(doc).splitlines()
    assert summary[2] == f"**{outcome(doc)}**"


def _long(doc: dict[str, Any]) -> dict[str, Any]:
    """Every check's result made longer than any old cut-off (120 / 200 characters)."""
    for c in doc["checks"]:
        tail = " and then some words that any cut-off at 120 or 200 characters would hide" * 3
        if c["status"] == "failed":
            c["error"] = (c["error"] or "failed") + tail
        else:
            c["detail"] = (c["detail"] or "done") + tail
    return doc


@pytest.mark.parametrize("name", ALL)
def test_no_result_is_cut_in_html_or_markdown(name: str) -> None:
    doc = _long(fixture(name))
    page, summary = render_html(doc), render_markdown(doc)
    rows = {r.split(" | ", 1)[0].lstrip("| "): r for r in summary.splitlines()
            if r.startswith("| c0")}
    shown = re.findall(r'<span class="result">(.*?)(?: <span class="more-lines">|</span>)', page)
    assert len(shown) == len(doc["checks"])
    for c, cell in zip(doc["checks"], shown, strict=True):
        line, _ = first_line(result_text(c))
        assert cell == str(escape(line))  # in the row itself, not only in the detail below
        assert line.replace("|", "\\|") in rows[c["id"]]
    assert "…" not in page and "…" not in summary


def test_a_multi_line_result_says_more_lines_follow() -> None:
    doc = fixture("sim-drill")  # c003's detail has two lines
    page = render_html(doc)
    row = page[page.index('id="c003"'): page.index("</summary>", page.index('id="c003"'))]
    assert "(+1 line below)" in row
    assert "(+1 line in Details)" in render_markdown(doc)


def test_machine_readable_reasons_are_whole() -> None:
    doc = _long(fixture("sim-promote-rolled-back"))
    doc["checks"][4]["error"] += "\nsecond line of the error"
    items = json.loads(json.dumps(verdict_json(doc)))["items"]
    assert [i["reason"] for i in items] == [result_text(c) for c in doc["checks"]]
    assert items[4]["reason"].endswith("second line of the error")
    root = ET.fromstring(render_junit(doc))
    failure = root.find(".//failure")
    assert failure is not None and failure.get("message") == doc["checks"][4]["error"]
