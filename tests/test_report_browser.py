"""The report as a browser renders it: headless Chromium builds the DOM with the verdict, the
outcome sentence, whole results and the timelines (a give-up deadline drawn), the print
layout clips nothing, and a screenshot lands in the run folder. Skipped, with the reason shown, where
no Chromium is installed (CI installs Debian's `chromium`)."""

from __future__ import annotations

import argparse
import io
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_support import fixture
from rich.console import Console

from harness.cli.report import add_screenshot_option, maybe_screenshot
from harness.redact import Redactor
from harness.report.browser import dump_dom, find_browser, screenshot_run
from harness.report.history import append_history
from harness.report.publish import write_run

BROWSER = find_browser()
needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium on PATH (apt-get install -y chromium, or set HARNESS_CHROMIUM)")


@pytest.fixture
def sim_run(tmp_path: Path) -> Path:
    append_history(tmp_path, fixture("aws-drill-failed"))
    return write_run(fixture("sim-drill"), tmp_path, Redactor())


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@needs_browser
@pytest.mark.slow
def test_chromium_renders_verdict_and_timeline(sim_run: Path) -> None:
    dom = dump_dom(sim_run / "report.html")
    assert "DRILL PASS" in dom and 'id="simulated"' in dom
    assert dom.count('<svg class="timeline"') == 2
    assert '<svg class="trend"' in dom
    assert "<line class=\"target\"" in dom
    png = screenshot_run(sim_run)
    assert png == sim_run / "screenshot.png"
    assert png_size(png) == (1280, 2000)
    assert png.stat().st_size > 50_000  # a blank page compresses to a few kB


def _texts(dom: str, css_class: str) -> list[str]:
    """The text content of every element whose class attribute is exactly ``css_class``."""
    found: list[str] = []

    class Collector(HTMLParser):
        depth = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if self.depth:
                self.depth += 1
            elif dict(attrs).get("class") == css_class:
                self.depth = 1
                found.append("")

        def handle_endtag(self, tag: str) -> None:
            if self.depth:
                self.depth -= 1

        def handle_data(self, data: str) -> None:
            if self.depth:
                found[-1] += data

    Collector(convert_charrefs=True).feed(dom)
    return [" ".join(t.split()) for t in found]


@needs_browser
@pytest.mark.slow
def test_chromium_shows_the_outcome_whole_results_and_the_deadline(tmp_path: Path) -> None:
    append_history(tmp_path, fixture("sim-drill"))
    promote = write_run(fixture("sim-promote-rolled-back"), tmp_path, Redactor())
    dom = dump_dom(promote / "report.html")
    assert _texts(dom, "outcome") == [
        "Promotion of 3f9c2e1b7a0d to prod failed at 'swap and verify'; rolled back to "
        "invapp-dev-app:3, healthy after 1.07 s."]
    results = _texts(dom, "result")
    assert len(results) == 6 and all(r and not r.endswith("…") for r in results)
    assert "by manifest" in results[2]  # the end of the longest detail, not a prefix of it
    assert "promote swap issued" in dom and dom.count('<svg class="timeline"') == 2
    never = write_run(fixture("sim-drill-never-recover"), tmp_path, Redactor())
    dom = dump_dom(never / "report.html")
    assert _texts(dom, "outcome")[0].startswith(
        "Acceptance NOT met: application RTO did not complete (gave up at the 8 s deadline)")
    assert dom.count('<line class="deadline"') == 1 and "gave up: deadline 8 s" in dom
    assert not any(r.endswith("…") for r in _texts(dom, "result"))


# Marks every table or preformatted block inside the checks that runs past the edge of the
# checks box (which clips what overflows it on screen), then records the count in the DOM.
_CLIP_PROBE = """<script>
const box = document.querySelector('.checks').getBoundingClientRect();
const page = document.documentElement.clientWidth;
let clipped = 0;
for (const d of document.querySelectorAll('details')) d.open = true;
for (const el of document.querySelectorAll('.checks table, .checks pre, main table, main figure')) {
  const r = el.getBoundingClientRect();
  if (r.right > Math.min(box.right, page) + 1) { clipped++; el.setAttribute('data-clipped', ''); }
}
document.body.setAttribute('data-clipped-count', String(clipped));
</script>"""


@needs_browser
@pytest.mark.slow
def test_print_layout_clips_nothing(sim_run: Path) -> None:
    # Chromium's command line cannot emulate print media: apply the print rules to the screen
    # at an A4 page's printable width (about 720 CSS px) and measure where things end.
    page = (sim_run / "report.html").read_text(encoding="utf-8")
    assert page.count("@media print {") == 1
    probe = sim_run / "print-probe.html"
    probe.write_text(page.replace("@media print {", "@media all {").replace(
        "</body>", _CLIP_PROBE + "</body>"), encoding="utf-8")
    dom = dump_dom(probe, width=720)
    found = re.search(r'data-clipped-count="(\d+)"', dom)
    assert found, "the probe did not run"
    assert found.group(1) == "0", re.findall(r"<(\w+)[^>]*data-clipped[^-]", dom)


@needs_browser
@pytest.mark.slow
def test_report_screenshot_option(sim_run: Path) -> None:
    parser = argparse.ArgumentParser()
    add_screenshot_option(parser)
    out = io.StringIO()
    assert maybe_screenshot(parser.parse_args([]), sim_run, Console(file=out)) == 0
    assert not (sim_run / "screenshot.png").exists()
    assert maybe_screenshot(parser.parse_args(["--screenshot"]), sim_run, Console(file=out)) == 0
    assert (sim_run / "screenshot.png").is_file() and "screenshot:" in out.getvalue()


def test_screenshot_without_a_browser_says_so(sim_run: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_CHROMIUM", "no-such-browser-binary")
    assert find_browser() is None
    out = io.StringIO()
    args = argparse.Namespace(screenshot=True)
    assert maybe_screenshot(args, sim_run, Console(file=out, width=200)) == 2
    assert "no Chromium" in out.getvalue()
