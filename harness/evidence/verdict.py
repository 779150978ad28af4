"""A run's verdict, computed from its checks, failing closed: ``pass`` only when every check
that was expected to run did run and held, and every measurement met its target.

The same function decides for the journal while a run writes its evidence and for
``harness report`` reading one back, so an edited ``"verdict"`` cannot outvote the checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

Verdict = Literal["pass", "fail", "incomplete"]
VERDICTS: tuple[Verdict, ...] = ("pass", "fail", "incomplete")

# A check held, or was rightly not run here (a gate item that does not apply; a scenario
# skipped for the backend in use).
PASSING = frozenset({"passed", "skipped", "not_applicable"})
# A check that ran and found the runbook not holding.
FAILING = frozenset({"failed"})
# A check that says nothing either way: its setup or teardown broke, the run was stopped in
# the middle of it, or it never started.
UNFINISHED = frozenset({"error", "interrupted", "not_run"})
STATUSES = PASSING | FAILING | UNFINISHED


def verdict_of(checks: Sequence[Mapping[str, Any]], measurements: Sequence[Mapping[str, Any]],
               *, expected: int, stopped: bool) -> Verdict:
    """``fail`` when a check failed or a measurement missed its target (a finding, even in a
    run that then stopped); else ``incomplete`` when the run stopped, ran fewer checks than
    were expected (or none at all), or a check did not finish; else ``pass``."""
    statuses = [str(c["status"]) for c in checks]
    if any(s in FAILING for s in statuses) or not all(bool(m["met"]) for m in measurements):
        return "fail"
    if stopped or not statuses or len(statuses) < expected:
        return "incomplete"
    if not all(s in PASSING for s in statuses):
        return "incomplete"
    return "pass"


def document_verdict(doc: Mapping[str, Any]) -> Verdict:
    """The verdict an evidence document's own checks give (schema v2 fields)."""
    return verdict_of(doc["checks"], doc["measurements"], expected=int(doc["expected_checks"]),
                      stopped=doc["stopped"] is not None)
