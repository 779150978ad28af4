"""Helpers for the report tests: evidence fixtures, a strict HTML tag-stack checker and an
external-URL scanner."""

from __future__ import annotations

import copy
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "evidence"
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


def fixture(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(doc)


class TagStack(HTMLParser):
    """Every opened element must be closed, in order; void and self-closed (SVG) elements
    need no end tag. Problems are collected with their line number."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int]] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag in VOID:
            self.problems.append(f"line {line}: end tag for void <{tag}>")
        elif not self.stack:
            self.problems.append(f"line {line}: </{tag}> with nothing open")
        elif self.stack[-1][0] != tag:
            open_tag, opened = self.stack[-1]
            self.problems.append(
                f"line {line}: </{tag}> closes <{open_tag}> opened on line {opened}")
            if any(t == tag for t, _ in self.stack):
                while self.stack and self.stack[-1][0] != tag:
                    self.stack.pop()
                self.stack.pop()
        else:
            self.stack.pop()


def tag_problems(text: str) -> list[str]:
    checker = TagStack()
    checker.feed(text)
    checker.close()
    return checker.problems + [f"<{t}> opened on line {n} never closed" for t, n in checker.stack]


URL_ATTRS = frozenset({"src", "href", "xlink:href", "action", "formaction", "srcset", "poster",
                       "data", "background", "manifest", "ping"})
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""", re.I)
_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)""", re.I)


def _css_urls(css: str) -> list[str]:
    found = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(css)]
    return found + [m.group(1) for m in _IMPORT.finditer(css)]


class _UrlScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRS:
                self.urls.append(value.strip())
            elif name == "style":
                self.urls += _css_urls(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls += _css_urls(data)


def referenced_urls(text: str) -> list[str]:
    """Every URL the page would load or link: src/href-like attributes and CSS url()/@import
    in <style> and style attributes (entities decoded, as the browser sees them)."""
    scanner = _UrlScanner()
    scanner.feed(text)
    scanner.close()
    return [html.unescape(u) for u in scanner.urls]


def is_external(url: str) -> bool:
    return url.startswith("//") or re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) is not None


def evidence_links(doc: dict[str, Any]) -> set[str]:
    return {link["url"] for c in doc["checks"] for link in c["links"]}
