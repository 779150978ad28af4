"""JUnit XML: one testcase per expected check, grouped by feature, for CI test reporters. A
check that did not finish (setup or teardown error, interrupted, never started) is an
<error>; a run without any check is one <error> testcase, so CI never shows it green."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from xml.etree import ElementTree as ET

_SKIPPED = ("skipped", "not_applicable")
_ERRORS = ("error", "interrupted", "not_run")


def render_junit(doc: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name=f"harness {doc['kind']} {doc['run_id']}")
    by_feature: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for check in doc["checks"] or [_no_check(doc)]:
        by_feature[check["feature"]].append(check)
    for feature, checks in by_feature.items():
        suite = ET.SubElement(
            root, "testsuite", name=feature, tests=str(len(checks)),
            failures=str(sum(c["status"] == "failed" for c in checks)),
            errors=str(sum(c["status"] in _ERRORS for c in checks)),
            skipped=str(sum(c["status"] in _SKIPPED for c in checks)),
            time=f"{sum(c['duration_s'] for c in checks):.3f}", timestamp=checks[0]["started_at"],
        )
        for c in checks:
            case = ET.SubElement(suite, "testcase", classname=feature, name=c["name"],
                                 time=f"{c['duration_s']:.3f}")
            if c["status"] == "failed":
                # The whole reason, never a prefix: CI reporters show the message alone.
                failure = ET.SubElement(case, "failure", message=c["error"] or "failed")
                failure.text = c["error"] or ""
            elif c["status"] in _ERRORS:
                text = c["error"] or c["detail"] or c["status"]
                error = ET.SubElement(case, "error", type=c["status"], message=text)
                error.text = text
            elif c["status"] in _SKIPPED:
                ET.SubElement(case, "skipped", message=c["detail"] or c["status"])
            if c["detail"]:
                ET.SubElement(case, "system-out").text = c["detail"]
    props = ET.SubElement(root, "properties")
    for key in ("backend", "tier", "cycle", "sha", "verdict"):
        ET.SubElement(props, "property", name=key, value=str(doc[key]))
    if doc.get("stopped"):
        ET.SubElement(props, "property", name="stopped",
                      value=f"{doc['stopped']['signal']} at {doc['stopped']['where']}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _no_check(doc: dict[str, Any]) -> dict[str, Any]:
    """The testcase of a run that recorded no check at all (it stopped or broke before)."""
    why = (f"stopped by {doc['stopped']['signal']} at {doc['stopped']['where']}"
           if doc.get("stopped") else "the run recorded no check")
    return {"feature": f"harness {doc['kind']}", "name": f"{doc['kind']} run {doc['run_id']}",
            "status": "error", "duration_s": 0.0, "started_at": doc["started_at"],
            "error": f"no check ran: {why}", "detail": ""}
