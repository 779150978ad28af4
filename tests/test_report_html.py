"""The HTML report: well-formed, self-contained, summary first, every evidence kind drawn."""

from __future__ import annotations

import re
from typing import Any

import pytest
from report_support import (
    evidence_links,
    fixture,
    is_external,
    referenced_urls,
    tag_problems,
)

from harness.evidence.writer import validate
from harness.report.history import history_row
from harness.report.html import diff_lines, render_html, safe_url, table_shape
from harness.report.renderings import RENDERERS, render_all

FIXTURES = ("sim-drill", "aws-drill-failed", "gate")


@pytest.fixture(params=FIXTURES)
def doc(request: pytest.FixtureRequest) -> dict[str, Any]:
    d = fixture(request.param)
    validate(d)
    return d


def test_report_html_is_a_renderer() -> None:
    assert "report.html" in RENDERERS
    assert render_all(fixture("gate"))["report.html"].startswith("<!DOCTYPE html>")


def test_every_tag_is_closed(doc: dict[str, Any]) -> None:
    page = render_html(doc, [history_row(doc)])
    assert tag_problems(page) == []


def test_the_checker_reports_an_unclosed_tag() -> None:
    assert tag_problems("<div><span>x</div>") != []
    assert tag_problems("<section><p>x</p>") == ["<section> opened on line 1 never closed"]
    assert tag_problems("<svg><line x1='1'/></svg><br>") == []


def test_no_external_url_other_than_the_evidence_links(doc: dict[str, Any]) -> None:
    page = render_html(doc, [history_row(doc)])
    external = {u for u in referenced_urls(page) if is_external(u)}
    assert external <= evidence_links(doc), external - evidence_links(doc)
    for banned in ("<script", "<link", "<img", "<iframe", "@import", "@font-face"):
        assert banned not in page.lower()


def test_evidence_web_links_are_anchors() -> None:
    doc = fixture("gate")
    page = render_html(doc)
    assert 'href="https://github.com/je-vectors/invapp/actions/runs/8812"' in page
    assert {u for u in referenced_urls(page) if is_external(u)} == evidence_links(doc)


def test_a_non_web_link_is_text_not_an_anchor() -> None:
    doc = fixture("gate")
    doc["checks"][0]["links"] = [{"label": "x", "url": "javascript:alert(1)"}]
    page = render_html(doc)
    assert "href=\"javascript:" not in page
    assert "javascript:alert(1)" in page
    assert not safe_url("javascript:alert(1)") and safe_url("https://x.test/") and safe_url("a/b")


def test_evidence_text_is_escaped() -> None:
    doc = fixture("sim-drill")
    doc["checks"][0]["name"] = "<script>alert(1)</script>"
    doc["checks"][0]["detail"] = "<img src=https://evil.test/x.png>"
    doc["measurements"][0]["phases"][0]["name"] = "<b>revert</b>"
    page = render_html(doc)
    assert "<script>alert" not in page and "<b>revert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not any(is_external(u) for u in referenced_urls(page))


def test_banner_shows_verdict_backend_and_simulated() -> None:
    sim = render_html(fixture("sim-drill"))
    banner = sim[sim.index('id="verdict"'): sim.index("</header>")]
    assert "DRILL PASS" in banner and "SIMULATED" in banner and "backend sim" in banner
    aws = render_html(fixture("aws-drill-failed"))
    banner = aws[aws.index('id="verdict"'): aws.index("</header>")]
    assert 'class="banner fail"' in aws and "DRILL FAIL" in banner
    assert "SIMULATED" not in aws and "backend aws" in banner


def test_summary_comes_before_detail() -> None:
    page = render_html(fixture("sim-drill"), [history_row(fixture("sim-drill"))])
    order = [page.index(f'id="{s}"') for s in
             ("verdict", "outcome", "decision", "measurements", "notes", "checks", "history")]
    assert order == sorted(order)


def test_decision_record() -> None:
    doc = fixture("sim-drill")
    page = render_html(doc)
    section = page[page.index('id="decision"'): page.index('id="measurements"')]
    for value in ("cycle-2026-48", doc["sha"], doc["decision"]["snapshot_id"], "joe", "PASS"):
        assert value in section


def test_a_missing_decision_is_said_only_where_a_decision_is_taken() -> None:
    drill = render_html(fixture("aws-drill-failed"))
    assert "No promotion decision" not in drill and 'id="decision"' not in drill
    promote = fixture("sim-promote-rolled-back")
    promote["decision"] = None
    page = render_html(promote)
    header_end = page.index('id="measurements"')
    assert page.index("No promotion decision was recorded by this promote run") < header_end


def test_one_row_per_check_and_failures_open() -> None:
    doc = fixture("aws-drill-failed")
    page = render_html(doc)
    assert page.count('<details class="check"') == len(doc["checks"])
    assert page.count("<details class=\"check\" id=\"c00") == 2
    assert all(f'id="{c["id"]}" open>' in page for c in doc["checks"] if c["status"] == "failed")
    ok = render_html(fixture("sim-drill"))
    assert " open>" not in ok
    assert ok.count('<span class="st passed">PASS</span>') >= 5


def test_one_timeline_per_measurement_with_its_target() -> None:
    doc = fixture("sim-drill")
    page = render_html(doc)
    assert page.count('<svg class="timeline"') == len(doc["measurements"]) == 2
    assert page.count('class="target"') == 2
    assert "RTO target 15 min" in page and "RTO target 1 h" in page
    assert "3 healthy in a row · 2.31 s" in page
    assert "The axis is broken: the target is 390×" in page


def test_a_breached_rto_reads_breached_on_one_axis() -> None:
    page = render_html(fixture("aws-drill-failed"))
    assert "BREACHED" in page and "DID NOT COMPLETE" in page
    assert "axis is broken" not in page
    # Older evidence has no deadline field: the bar's end is named, no deadline line drawn.
    assert "stopped, not recovered · 1 h" in page and 'class="deadline"' not in page


def test_schema_diff_is_coloured_line_by_line() -> None:
    page = render_html(fixture("sim-drill"))
    assert '<pre class="diff">' in page
    assert '<span class="del">-    ai_provider text,</span>' in page
    assert '<span class="add">+    ai_provider text,</span>' in page
    assert '<span class="hunk">@@ -12,7 +12,7 @@' in page
    assert diff_lines(["+++ b", "--- a", "@@ x", "+y", "-z", " w"]) == [
        ("hdr", "+++ b"), ("hdr", "--- a"), ("hunk", "@@ x"), ("add", "+y"), ("del", "-z"),
        ("ctx", " w")]


def test_fingerprint_table() -> None:
    page = render_html(fixture("sim-drill"))
    start = page.index("data fingerprint, source vs restored")
    table = page[start: page.index("</table>", start)]
    assert "<th>source hash</th>" in table and "<th>match</th>" in table
    assert table.count("<tr>") == 5
    assert '<td class="ok">yes</td>' in table and "<td>1310</td>" in table


@pytest.mark.parametrize(("content", "columns", "first"), [
    ({"columns": ["t", "n"], "rows": [["a", 1]]}, ["t", "n"], ["a", "1"]),
    ({"columns": ["t", "n"], "rows": [{"n": 2, "t": "b"}]}, ["t", "n"], ["b", "2"]),
    ([{"t": "a", "n": 1}, {"t": "b", "x": None}], ["t", "n", "x"], ["a", "1", ""]),
    ([["t", "match"], ["a", False]], ["t", "match"], ["a", "no"]),
])
def test_table_shapes(content: Any, columns: list[str], first: list[str]) -> None:
    table = table_shape(content)
    assert table is not None
    assert table.columns == columns
    assert [text for text, _ in table.rows[0]] == first


def test_an_unknown_table_shape_is_shown_as_json() -> None:
    assert table_shape({"rows": 3}) is None and table_shape("x") is None and table_shape([]) is None
    doc = fixture("gate")
    doc["checks"][0]["attachments"] = [{"name": "odd", "kind": "table", "content": {"rows": 3}}]
    page = render_html(doc)
    assert "unrecognised shape" in page and "&#34;rows&#34;: 3" in page


def test_text_and_json_attachments() -> None:
    doc = fixture("gate")
    doc["checks"][0]["attachments"] = [
        {"name": "health body", "kind": "text", "content": "status ok\nline two"},
        {"name": "task def", "kind": "json", "content": {"family": "invapp-staging-app"}},
    ]
    page = render_html(doc)
    assert "<pre>status ok\nline two</pre>" in page
    assert "&#34;family&#34;: &#34;invapp-staging-app&#34;" in page


def test_notes_section() -> None:
    page = render_html(fixture("sim-drill"))
    notes = page[page.index('id="notes"'): page.index('id="checks"')]
    assert notes.count("<li>") == 2 and "Sim rollout latency 1.5 s" in notes
    assert 'id="notes"' not in render_html(fixture("aws-drill-failed"))


def test_history_trend_only_with_history() -> None:
    doc = fixture("sim-drill")
    assert 'id="history"' not in render_html(doc)
    rows = [history_row(fixture("sim-drill-never-recover")), history_row(doc)]
    page = render_html(doc, rows)
    assert page.count('<svg class="trend"') == 1
    assert "20261128T090000Z-drill-c3d4" in page


def test_a_trend_never_mixes_backends_or_tiers() -> None:
    doc = fixture("sim-drill")
    other_tier = history_row(fixture("sim-drill-never-recover"))
    other_tier["tier"], other_tier["run_id"] = "qa", "qa-run"
    rows = [history_row(fixture("aws-drill-failed")), other_tier, history_row(doc)]
    page = render_html(doc, rows)
    history = page[page.index('id="history"'):]
    assert "20260820T143000Z-drill-9f3e" not in page and "qa-run" not in page
    assert "tier staging, backend sim" in history and history.count("<tr class=") == 1


def test_a_run_that_did_not_pass_stays_in_the_trend_marked() -> None:
    doc = fixture("sim-drill")
    rows = [history_row(fixture("sim-drill-never-recover")), history_row(doc)]
    page = render_html(doc, rows)
    history = page[page.index('id="history"'):]
    assert history.count('<tr class="notpass">') == 1 and history.count('<tr class="pass">') == 1
    assert '<td class="bad">FAIL</td>' in history
    # The data RTO was met in the failed run: its dot stays green, ringed as a failed run.
    assert history.count('class="runfail"') == 2 and "(run FAIL)" in history


def test_printable_and_self_contained() -> None:
    page = render_html(fixture("sim-drill"))
    assert "@media print" in page and "<style>" in page
    assert re.search(r"<meta charset=\"utf-8\">", page)


@pytest.mark.parametrize("name", FIXTURES)
def test_rendering_is_deterministic(name: str) -> None:
    rows = [history_row(fixture(name))]
    assert render_html(fixture(name), rows) == render_html(fixture(name), rows)


def test_the_url_scanner_sees_attributes_and_css() -> None:
    page = ('<a href="https://a.test/x?b=1&amp;c=2">a</a><img src=//cdn.test/i.png>'
            '<style>p{background:url("https://f.test/bg.png")} @import "https://i.test/s.css";'
            '</style><svg><image href="https://s.test/i.svg"/></svg><p>src=https://text.test</p>')
    assert referenced_urls(page) == ["https://a.test/x?b=1&c=2", "//cdn.test/i.png",
                                     "https://f.test/bg.png", "https://i.test/s.css",
                                     "https://s.test/i.svg"]


def test_history_without_any_rto_has_no_trend_chart() -> None:
    doc = fixture("gate")
    row = history_row(fixture("sim-drill"))
    row["rto"] = {"application RTO": None, "data RTO": None}
    page = render_html(doc, [row])
    assert 'id="history"' in page and '<svg class="trend"' not in page
    assert "None of the 1 drill(s) up to this run measured an RTO yet." in page


def test_relative_links_to_the_run_files_and_checks() -> None:
    page = render_html(fixture("sim-drill"))
    urls = referenced_urls(page)
    assert {"evidence.json", "summary.md", "junit.xml", "#c002", "#c004"} <= set(urls)
    assert 'id="c002"' in page


def test_a_drill_missing_an_rto_says_so_in_the_summary() -> None:
    doc = fixture("sim-drill")
    assert 'id="unmeasured"' not in render_html(doc)
    doc["measurements"] = doc["measurements"][:1]
    page = render_html(doc)
    header = page[: page.index("</header>")]
    assert "Not measured in this run: data RTO." in header
    assert 'id="unmeasured"' not in render_html(fixture("gate"))
