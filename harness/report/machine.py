"""A run's result for machines, read from its evidence alone: the ``--json`` document of
every run command (the gate's adds its items, see ``harness.report.gate``), the step outputs
GitHub Actions gets, and one ``::error`` annotation per failed check. Pure: evidence in,
data or text out; nothing is shortened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.report.format import result_text
from harness.report.outcome import outcome
from harness.rto import APPLICATION_RTO, DATA_RTO

Doc = Mapping[str, Any]
REPORT_FILE = "report.html"
# Output names by measurement: what a later step or job reads (e.g. a tracker comment).
RTO_OUTPUTS = {APPLICATION_RTO: "application_rto_s", DATA_RTO: "data_rto_s"}


def _last(doc: Doc, name: str) -> Mapping[str, Any] | None:
    found = [m for m in doc["measurements"] if m["name"] == name]
    return found[-1] if found else None


def run_json(doc: Doc, run_dir: str | None) -> dict[str, Any]:
    """What ``--json`` prints for a drill, promote or rollback: verdict and outcome first,
    then the decision record, each measurement and each check with its whole reason."""
    return {
        "verdict": doc["verdict"],
        "kind": doc["kind"],
        "outcome": outcome(doc),
        "tier": doc["tier"],
        "backend": doc["backend"],
        "simulated": doc["simulated"],
        "cycle": doc["cycle"],
        "sha": doc["sha"],
        "run_id": doc["run_id"],
        "evidence": run_dir,
        "report": f"{run_dir}/{REPORT_FILE}" if run_dir else None,
        "decision": doc["decision"],
        "measurements": [{k: m[k] for k in ("name", "seconds", "target_seconds", "met",
                                            "completed", "resolution_seconds", "subject")}
                         for m in doc["measurements"]],
        "checks": [{"name": c["name"], "status": c["status"], "reason": result_text(c)}
                   for c in doc["checks"]],
    }


def outputs(doc: Doc, run_dir: str | None) -> dict[str, str]:
    """The step outputs (names GitHub accepts): verdict, kind, run id, where the evidence
    and report are, the RTOs measured (seconds, and whether met), the revisions, snapshot
    and migration of a decision record. A value that does not apply is left out, so
    ``steps.<id>.outputs.<name>`` reads empty."""
    out = {"verdict": str(doc["verdict"]), "kind": str(doc["kind"]), "run_id": str(doc["run_id"]),
           "tier": str(doc["tier"]), "outcome": outcome(doc)}
    if run_dir:
        out["evidence"] = run_dir
        out["report"] = f"{run_dir}/{REPORT_FILE}"
    for key in ("cycle", "sha"):
        if doc[key]:
            out[key] = str(doc[key])
    for name, key in RTO_OUTPUTS.items():
        m = _last(doc, name)
        if m is not None:
            out[key] = f"{m['seconds']:g}"
            out[key.removesuffix("_s") + "_met"] = "true" if m["met"] else "false"
    decision = doc["decision"] or {}
    if decision.get("snapshot_id"):
        out["snapshot_id"] = str(decision["snapshot_id"])
    record = decision.get("rollback") or {}
    for key in ("from_revision", "to_revision", "migration", "data_path"):
        if record.get(key):
            out[key] = str(record[key])
    return out


def _data(text: str) -> str:
    """A workflow command's message: %, CR and LF encoded (a reason keeps all its lines)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def error_annotations(doc: Doc) -> list[str]:
    """One ``::error`` workflow command per failed check (title = the check, message = its
    whole reason), and one for each measurement that missed its target."""
    kind = str(doc["kind"]).upper()
    lines = []
    for c in doc["checks"]:
        if c["status"] == "failed":
            title = _property(f"{kind} {c['name']}")
            lines.append(f"::error title={title}::{_data(result_text(c) or 'failed')}")
    for m in doc["measurements"]:
        if not m["met"] and m["target_seconds"] is not None:
            state = "did not complete" if not m["completed"] else "breached its target"
            message = f"{m['name']} {state}" + (f": {m['note']}" if m["note"] else "")
            lines.append(f"::error title={_property(kind + ' ' + m['name'])}::{_data(message)}")
    return lines
