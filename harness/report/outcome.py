"""What a run came to, in one sentence told from its evidence document alone: the line the
report's banner and the step summary lead with (e.g. a promote that failed and rolled back:
"... rolled back to invapp-dev-app:3, healthy after 1.07 s"). Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.report.format import seconds, short_seconds
from harness.rto import DATA_RTO, RTO_NAMES

# The measurement names harness.promote records (pinned together by a test).
PROMOTE_RTO = "promotion recovery"
ROLLBACK_RTO = "application RTO (automatic rollback)"
LAYER1_RTO = "application RTO"

Doc = Mapping[str, Any]


def outcome(doc: Doc) -> str:
    """The outcome sentence of ``doc`` (ends with a full stop)."""
    if doc["verdict"] == "incomplete":
        return _incomplete(doc)
    teller = _TELLERS.get(doc["kind"], _checks)
    return teller(doc)


def _incomplete(doc: Doc) -> str:
    """A run that did not finish verified nothing: say where it stopped, never a result."""
    stopped = doc.get("stopped")
    done = sum(1 for c in doc["checks"] if c["status"] in ("passed", "failed"))
    expected = doc.get("expected_checks", len(doc["checks"]))
    where = (f"stopped by {stopped['signal']} at {stopped['where']}" if stopped
             else "a check did not finish")
    return (f"INCOMPLETE, nothing verified as a whole: {where}; {done} of {expected} "
            "checks ran to the end.")


def _last(doc: Doc, name: str) -> Mapping[str, Any] | None:
    found = [m for m in doc["measurements"] if m["name"] == name]
    return found[-1] if found else None


def _failed(doc: Doc) -> list[str]:
    return [c["name"] for c in doc["checks"] if c["status"] == "failed"]


def _short_sha(doc: Doc) -> str:
    return doc["sha"][:12] if doc["sha"] else "the build"


def gave_up(m: Mapping[str, Any]) -> bool:
    """True when an incomplete measurement ran into its deadline (rather than stopping at a
    failed phase): it ran at least the deadline, less one poll interval."""
    deadline = m.get("deadline_seconds")
    return (not m["completed"] and deadline is not None
            and m["seconds"] >= deadline - m["resolution_seconds"])


def recovery(m: Mapping[str, Any]) -> str:
    """How one measured recovery ended: 'healthy after 1.07 s', 'healthy after 16 min, over
    the 15 min target', 'NOT healthy: gave up at the 6 s deadline'."""
    measured = short_seconds(m["seconds"])
    target = m["target_seconds"]
    if m["completed"]:
        if m["met"] or target is None:
            return f"healthy after {measured}"
        return f"healthy after {measured}, over the {short_seconds(target)} target"
    if gave_up(m):
        return f"NOT healthy: gave up at the {short_seconds(m['deadline_seconds'])} deadline"
    return f"NOT healthy: stopped after {measured} without recovering"


def _subject(m: Mapping[str, Any], fallback: str) -> str:
    return str(m.get("subject") or fallback)


def _promote(doc: Doc) -> str:
    swap, back = _last(doc, PROMOTE_RTO), _last(doc, ROLLBACK_RTO)
    where = f"{_short_sha(doc)} to {doc['tier']}"
    if doc["verdict"] == "pass" and swap is not None:
        return f"Promoted {where}: {_subject(swap, 'the new revision')} {recovery(swap)}."
    failed = _failed(doc)
    head = f"Promotion of {where} failed" + (f" at '{failed[0]}'" if failed else "")
    if back is not None:
        previous = _subject(back, "the previous revision")
        if back["completed"]:
            return f"{head}; rolled back to {previous}, {recovery(back)}."
        return (f"{head}; the rollback to {previous} is {recovery(back)}: production needs "
                "a person now (Layer-1 revert by hand).")
    if swap is None:
        return f"{head}; the service was not swapped."
    if swap["completed"]:
        # Recovered, yet the run failed: the recovery took longer than its target.
        return f"{head}: {_subject(swap, 'the new revision')} {recovery(swap)}."
    return f"{head}; {_subject(swap, 'the new revision')} {recovery(swap)} and no rollback ran."


def _rollback(doc: Doc) -> str:
    record = (doc["decision"] or {}).get("rollback") or {}
    if record.get("layer") == "data":
        return _data_rollback(doc, record)
    m = _last(doc, LAYER1_RTO)
    if m is None:
        return _checks(doc)
    target = _subject(m, "the earlier revision")
    if m["completed"]:
        return f"Rolled back {doc['tier']} to {target}, {recovery(m)}."
    return f"Rollback of {doc['tier']} to {target}: {recovery(m)}."


def _data_rollback(doc: Doc, record: Mapping[str, Any]) -> str:
    migration, tier = record.get("migration") or "?", doc["tier"]
    m = _last(doc, DATA_RTO)
    if doc["verdict"] == "pass" and m is not None and record.get("data_path") == "down":
        return (f"Migration {migration} taken back on {tier} by its down, its _migrations row "
                f"cleared; {_subject(m, 'the application')} {recovery(m)}.")
    if doc["verdict"] == "pass" and m is not None and record.get("data_path") == "restore":
        tried = any(c["name"].startswith("down migration") for c in doc["checks"])
        after = " after its down failed" if tried else ""
        return (f"Data of {tier} restored from snapshot {doc['decision']['snapshot_id']} to new "
                f"instance {_subject(m, '?')}, taking migration {migration} back{after}; the "
                f"application {recovery(m)} on it.")
    failed = _failed(doc)
    head = (f"Data rollback of migration {migration} on {tier} failed"
            + (f" at '{failed[0]}'" if failed else ""))
    return f"{head}; {recovery(m)}." if m is not None else f"{head}."


def decision_record(doc: Doc) -> tuple[str, list[tuple[str, str]]] | None:
    """The decision record as the renderers show it: a title and (label, value) pairs, the
    decision last. None when the run recorded none."""
    d = doc["decision"]
    if d is None:
        return None
    r = d.get("rollback")
    if r is None:
        return "Promotion decision record", [
            ("cycle", d["cycle"] or "-"), ("validated SHA", d["sha"] or "-"),
            ("snapshot id", d["snapshot_id"] or "-"), ("signed off by", d["signed_off_by"] or "-"),
            ("decision", d["verdict"].upper())]
    rows = [("ordered by", r["ordered_by"]), ("reason", r["reason"])]
    if r["layer"] == "application":
        title = "Rollback decision record (Layer 1, the application)"
        rows += [("from revision", r["from_revision"] or "-"),
                 ("to revision", r["to_revision"] or "-"), ("image SHA", d["sha"] or "-")]
    else:
        title = "Rollback decision record (Layer 2, the data)"
        rows += [("migration", r["migration"] or "-"),
                 ("path", r["data_path"] or "did not finish"),
                 ("snapshot restored", d["snapshot_id"] or "-"),
                 ("application revision", r["to_revision"] or "-")]
    measured = (seconds(r["rto_seconds"]) if r["rto_seconds"] is not None
                else "not measured to the end")
    rows += [(f"measured {r['rto_name'] or 'RTO'}", measured), ("decision", d["verdict"].upper())]
    return title, rows


def _rto_state(doc: Doc, name: str) -> str:
    m = _last(doc, name)
    if m is None:
        return f"{name} not measured"
    target = m["target_seconds"]
    of = f" of {short_seconds(target)}" if target is not None else ""
    if m["met"]:
        return f"{name} {short_seconds(m['seconds'])}{of} met"
    if m["completed"]:
        return f"{name} {short_seconds(m['seconds'])}{of} BREACHED"
    if gave_up(m):
        return f"{name} did not complete (gave up at the {short_seconds(m['deadline_seconds'])} deadline)"
    return f"{name} did not complete (stopped after {short_seconds(m['seconds'])})"


def _drill(doc: Doc) -> str:
    rtos = "; ".join(_rto_state(doc, name) for name in RTO_NAMES)
    if doc["verdict"] == "pass":
        return f"Acceptance met, both RTOs: {rtos}."
    failed = _failed(doc)
    checks = f"; {len(failed)} of {len(doc['checks'])} checks failed" if failed else ""
    return f"Acceptance NOT met: {rtos}{checks}."


def _gate(doc: Doc) -> str:
    counted = [c for c in doc["checks"] if c["status"] != "not_applicable"]
    na = len(doc["checks"]) - len(counted)
    na_text = f" ({na} not applicable)" if na else ""
    red = [c["name"] for c in counted if c["status"] != "passed"]
    if doc["verdict"] == "pass" and not red:
        return f"All {len(counted)} gate items green{na_text}: the promotion may proceed."
    listed = f": {', '.join(red)}" if red else ""
    return (f"{len(red)} of {len(counted)} gate items not green{listed}{na_text}; "
            "do not promote this cycle.")


def _checks(doc: Doc) -> str:
    counted = [c for c in doc["checks"] if c["status"] != "not_applicable"]
    green = sum(1 for c in counted if c["status"] == "passed")
    failed = _failed(doc)
    tail = f"; failed: {', '.join(failed)}" if failed else ""
    return f"{green} of {len(counted)} checks passed{tail}."


_TELLERS: dict[str, Callable[[Doc], str]] = {
    "promote": _promote,
    "rollback": _rollback,
    "drill": _drill,
    "gate": _gate,
}
