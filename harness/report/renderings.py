"""The renderers of a run folder. Each takes the (already redacted) evidence document
and returns text; ``render_all`` maps file names in the run folder to their content."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.report.history import HistoryRow
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown

Renderer = Callable[[dict[str, Any]], str]
HistoryRenderer = Callable[[dict[str, Any], Sequence[HistoryRow]], str]

RENDERERS: dict[str, Renderer] = {
    "summary.md": render_markdown,
    "junit.xml": render_junit,
    "report.html": render_html,
}
# Renderers that also draw the drill history; render_all hands them the rows.
HISTORY_RENDERERS: dict[str, HistoryRenderer] = {"report.html": render_html}


def render_all(doc: dict[str, Any], history: Sequence[HistoryRow] = ()) -> dict[str, str]:
    """Every rendering of ``doc``; ``history`` = the drill rows up to and including this run."""
    return {name: HISTORY_RENDERERS[name](doc, history) if name in HISTORY_RENDERERS
            else render(doc) for name, render in RENDERERS.items()}
