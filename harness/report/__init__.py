"""Renderers of the evidence journal. Each takes the (already redacted) evidence document
and returns text; ``render_all`` maps file names in the run folder to their content."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.report.junit import render_junit
from harness.report.markdown import render_markdown

Renderer = Callable[[dict[str, Any]], str]

RENDERERS: dict[str, Renderer] = {
    "summary.md": render_markdown,
    "junit.xml": render_junit,
}


def render_all(doc: dict[str, Any]) -> dict[str, str]:
    return {name: render(doc) for name, render in RENDERERS.items()}
