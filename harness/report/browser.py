"""Headless Chromium as a subprocess: a screenshot of a report page and the DOM the browser
built from it. No Python browser driver; Debian's ``chromium`` package is enough."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.errors import HarnessError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
# Without the background-networking switches Chromium waits on update and sync servers that
# a closed network never answers, and the run hangs until the timeout.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio",
)


class BrowserError(HarnessError):
    """Chromium is missing, timed out or wrote nothing."""


def find_browser() -> str | None:
    """``$HARNESS_CHROMIUM`` when set, else the first Chromium-family binary on PATH."""
    override = os.environ.get("HARNESS_CHROMIUM")
    if override:
        return shutil.which(override)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: list[str], browser: str | None, timeout: float) -> str:
    binary = browser or find_browser()
    if binary is None:
        raise BrowserError("no Chromium binary found",
                           fix="apt-get install -y chromium, or set HARNESS_CHROMIUM")
    with tempfile.TemporaryDirectory(prefix="harness-chromium-") as profile:
        try:
            done = subprocess.run(
                [binary, *FLAGS, f"--user-data-dir={profile}", *args],
                capture_output=True, text=True, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(f"Chromium did not finish within {timeout:.0f} s",
                               where=binary, fix="check the flags in harness.report.browser"
                               ) from exc
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        raise BrowserError(f"Chromium exited {done.returncode}: {' | '.join(tail)}", where=binary)
    return done.stdout


def screenshot(html: Path, png: Path, *, width: int = 1280, height: int = 2000,
               browser: str | None = None, timeout: float = 60) -> Path:
    """Render ``html`` and save the top ``width`` x ``height`` pixels as ``png``."""
    png = Path(png).resolve()
    png.unlink(missing_ok=True)
    _run([f"--screenshot={png}", f"--window-size={width},{height}",
          Path(html).resolve().as_uri()], browser, timeout)
    if not png.is_file() or png.stat().st_size == 0:
        raise BrowserError("Chromium wrote no screenshot", where=str(png))
    return png


def dump_dom(html: Path, *, width: int = 1280, browser: str | None = None,
             timeout: float = 60) -> str:
    """The serialised DOM after Chromium parsed and laid out ``html`` in a ``width`` px window."""
    return _run([f"--window-size={width},2000", "--dump-dom", Path(html).resolve().as_uri()],
                browser, timeout)


def screenshot_run(run_dir: Path, *, browser: str | None = None) -> Path:
    """``run_dir/screenshot.png`` from the run's ``report.html``."""
    return screenshot(Path(run_dir) / "report.html", Path(run_dir) / "screenshot.png",
                      browser=browser)
