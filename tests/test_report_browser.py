"""The report as a browser renders it: headless Chromium builds the DOM with the verdict and
the timeline, and a screenshot lands in the run folder. Skipped, with the reason shown, where
no Chromium is installed (CI installs Debian's `chromium`)."""

from __future__ import annotations

import argparse
import io
import struct
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
