"""Markdown summary: verdict and a one-row-per-check table first, detail after. Suitable for
a GitHub step summary or a tracker comment."""

from __future__ import annotations

from typing import Any

from harness.report.format import (
    STATUS_LABEL,
    first_line,
    headline,
    measurement_line,
    result_text,
    seconds,
    stop_lines,
)
from harness.report.outcome import decision_record, outcome


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _inline(text: str) -> str:
    """Text inside ``**...**``: an asterisk in the data must not end the emphasis."""
    return text.replace("*", "\\*")


def render_markdown(doc: dict[str, Any]) -> str:
    out = [f"## {headline(doc)}", "", f"**{_inline(outcome(doc))}**", ""]
    out.append(f"Run `{doc['run_id']}` · backend `{doc['backend']}`"
               + (" (simulated)" if doc["simulated"] else "")
               + f" · topology `{doc['topology']}` · {doc['started_at']} → {doc['finished_at']}")
    out.append("")
    stop = stop_lines(doc)
    if stop:
        out += [f"**{stop[0]}**", "", *[line.strip() for line in stop[1:]], ""]
    record = decision_record(doc)
    if record is not None:
        _, rows = record
        out += ["| " + " | ".join(_cell(label) for label, _ in rows) + " |",
                "|" + "---|" * len(rows),
                "| " + " | ".join(_cell(value) for _, value in rows[:-1])
                + f" | **{rows[-1][1]}** |", ""]
    out += ["| # | status | check | duration | result | link |", "|---|---|---|---|---|---|"]
    for c in doc["checks"]:
        link = c["links"][0] if c["links"] else None
        link_md = f"[{_cell(link['label'])}]({link['url']})" if link else ""
        result, more = first_line(result_text(c))
        if more:
            result += f" (+{more} line{'s' if more > 1 else ''} in Details)"
        out.append(f"| {c['id']} | {STATUS_LABEL[c['status']]} | {_cell(c['name'])} "
                   f"| {seconds(c['duration_s'])} | {_cell(result)} | {link_md} |")
    if doc["measurements"]:
        out += ["", "### Measurements", ""]
        out += [f"- {measurement_line(m)}" for m in doc["measurements"]]
    if doc["notes"]:
        out += ["", "### Notes", ""]
        out += [f"- {n}" for n in doc["notes"]]
    details = [c for c in doc["checks"] if c["detail"] or c["error"] or len(c["links"]) > 1]
    if details:
        out += ["", "<details><summary>Details</summary>", ""]
        for c in details:
            out.append(f"#### {c['id']} {_cell(c['name'])} ({c['feature']})")
            if c["error"]:
                out += ["", "```", c["error"].rstrip(), "```"]
            if c["detail"]:
                out += ["", c["detail"].rstrip()]
            out += [f"- [{_cell(link['label'])}]({link['url']})" for link in c["links"]]
            out.append("")
        out.append("</details>")
    return "\n".join(out).rstrip() + "\n"
