"""The promotion gate's outputs, read from a gate run's evidence: the machine-readable
verdict (``--json``) and the sequencing advice for pending migrations. Pure: evidence
document in, text or data out."""

from __future__ import annotations

from typing import Any

from harness.report.format import result_text

# The attachment the pending-migrations item writes its advice into (one row per migration).
SEQUENCING = "sequencing"


def item_reason(check: dict[str, Any]) -> str:
    """The item's whole reason (machine-readable output never cuts it)."""
    return result_text(check)


def item_link(check: dict[str, Any]) -> dict[str, str] | None:
    return dict(check["links"][0]) if check["links"] else None


def item_ref(check: dict[str, Any]) -> str:
    """What the summary shows for an item's link: the id when the link is an id's page (a
    snapshot's console page), else the URL (or the id itself)."""
    link = item_link(check)
    if link is None:
        return ""
    label, url = link["label"], link["url"]
    return label if " " not in label and label in url else url


def sequencing(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The advice rows (version, name, classification, down, advice) of the run, if any."""
    for check in doc["checks"]:
        for attachment in check["attachments"]:
            if attachment["name"] == SEQUENCING and attachment["kind"] == "table":
                return [dict(row) for row in attachment["content"]]
    return []


def verdict_json(doc: dict[str, Any], run_dir: str | None = None) -> dict[str, Any]:
    checks = doc["checks"]
    return {
        "verdict": doc["verdict"],
        "cycle": doc["cycle"],
        "sha": doc["sha"],
        "simulated": doc["simulated"],
        "run_id": doc["run_id"],
        "evidence": run_dir,
        "green": sum(1 for c in checks if c["status"] == "passed"),
        "not_applicable": sum(1 for c in checks if c["status"] == "not_applicable"),
        "total": len(checks),
        "items": [{"item": c["name"], "status": c["status"], "reason": item_reason(c),
                   "link": item_link(c)} for c in checks],
        "sequencing": sequencing(doc),
    }
