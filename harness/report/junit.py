"""JUnit XML: one testcase per check, grouped by feature, for CI test reporters."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from xml.etree import ElementTree as ET


def render_junit(doc: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name=f"harness {doc['kind']} {doc['run_id']}")
    by_feature: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for check in doc["checks"]:
        by_feature[check["feature"]].append(check)
    for feature, checks in by_feature.items():
        suite = ET.SubElement(
            root, "testsuite", name=feature, tests=str(len(checks)),
            failures=str(sum(c["status"] == "failed" for c in checks)),
            skipped=str(sum(c["status"] in ("skipped", "not_applicable") for c in checks)),
            time=f"{sum(c['duration_s'] for c in checks):.3f}", timestamp=checks[0]["started_at"],
        )
        for c in checks:
            case = ET.SubElement(suite, "testcase", classname=feature, name=c["name"],
                                 time=f"{c['duration_s']:.3f}")
            if c["status"] == "failed":
                # The whole reason, never a prefix: CI reporters show the message alone.
                failure = ET.SubElement(case, "failure", message=c["error"] or "failed")
                failure.text = c["error"] or ""
            elif c["status"] in ("skipped", "not_applicable"):
                ET.SubElement(case, "skipped", message=c["detail"] or c["status"])
            if c["detail"]:
                ET.SubElement(case, "system-out").text = c["detail"]
    props = ET.SubElement(root, "properties")
    for key in ("backend", "tier", "cycle", "sha", "verdict"):
        ET.SubElement(props, "property", name=key, value=str(doc[key]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
