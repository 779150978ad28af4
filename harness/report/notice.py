"""The message a run posts to the team (``--notify URL``): the verdict and headline figures,
as plain JSON for any endpoint, or in the shape a Slack incoming webhook accepts. Pure:
evidence document in, JSON-ready data out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.report.format import headline, result_text, seconds
from harness.report.outcome import outcome

SOURCE = "promotion-harness"


def notice(doc: Mapping[str, Any], report: str | None = None) -> dict[str, Any]:
    """The plain JSON message: verdict, outcome, measured figures and the failed checks with
    their whole reasons; ``report`` = where the run's report is (path or URL), if known."""
    return {
        "source": SOURCE,
        "kind": doc["kind"],
        "verdict": doc["verdict"],
        "simulated": doc["simulated"],
        "headline": headline(doc),
        "outcome": outcome(doc),
        "run_id": doc["run_id"],
        "tier": doc["tier"],
        "backend": doc["backend"],
        "cycle": doc["cycle"],
        "sha": doc["sha"],
        "decision": doc["decision"],
        "measurements": [
            {"name": m["name"], "seconds": m["seconds"], "target_seconds": m["target_seconds"],
             "met": m["met"], "completed": m["completed"]} for m in doc["measurements"]],
        "failed": [{"check": c["name"], "reason": result_text(c)}
                   for c in doc["checks"] if c["status"] == "failed"],
        "report": report,
    }


# Slack refuses a message with more than 50 blocks or a section text over 3,000 characters
# (the whole message would be lost), so only there is a long reason shortened, saying so.
MAX_FAILED_BLOCKS = 40
SLACK_TEXT_MAX = 3000
_CUT = " [cut to fit Slack's 3,000-character block; the whole reason is in the report]"


def _fit(text: str) -> str:
    return text if len(text) <= SLACK_TEXT_MAX else text[: SLACK_TEXT_MAX - len(_CUT)] + _CUT


def _mrkdwn(text: str) -> str:
    """Slack's three control characters; anything else in the data prints as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_notice(doc: Mapping[str, Any], report: str | None = None) -> dict[str, Any]:
    """The same content as a Slack incoming-webhook message: ``text`` (the notification and
    fallback line) and ``blocks`` (verdict, figures, failed checks, run context)."""
    mark = ":white_check_mark:" if doc["verdict"] == "pass" else ":x:"
    head = _mrkdwn(headline(doc))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": _fit(f"{mark} *{head}*\n{_mrkdwn(outcome(doc))}")}},
    ]
    figures = [f"*{_mrkdwn(m['name'])}*: {seconds(m['seconds'])}"
               + (f" of {seconds(m['target_seconds'])}" if m["target_seconds"] is not None else "")
               + (" met" if m["met"] else " NOT met")
               for m in doc["measurements"]]
    if figures:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                     "text": _fit("\n".join(figures))}})
    failed = [c for c in doc["checks"] if c["status"] == "failed"]
    for c in failed[:MAX_FAILED_BLOCKS]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _fit(
            f"*{_mrkdwn(c['name'])}*: {_mrkdwn(result_text(c))}")}})
    if len(failed) > MAX_FAILED_BLOCKS:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            f"and {len(failed) - MAX_FAILED_BLOCKS} more failed check(s): see the report")}})
    context = f"run `{_mrkdwn(doc['run_id'])}` · backend {_mrkdwn(doc['backend'])}"
    if report:
        context += f" · report {_mrkdwn(report)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": f"{headline(doc)}: {outcome(doc)}", "blocks": blocks}
