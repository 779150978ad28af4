"""The drill's acceptance verdict: both recovery-time objectives measured by this drill's
own scenarios, completed, and within their targets. Pure: it reads the journal."""

from __future__ import annotations

from dataclasses import dataclass

from harness.clock import Measurement
from harness.evidence.journal import Journal
from harness.rto import APPLICATION_RTO, DATA_RTO

REQUIRED = (APPLICATION_RTO, DATA_RTO)
DRILL_TAG = "drill"


@dataclass(frozen=True)
class RtoFinding:
    name: str
    measurement: Measurement | None

    @property
    def met(self) -> bool:
        return self.measurement is not None and self.measurement.met

    def describe(self) -> str:
        m = self.measurement
        if m is None:
            return f"{self.name}: NOT measured by this drill"
        target = f"{m.target_seconds:g} s" if m.target_seconds is not None else "no target"
        if not m.completed:
            return f"{self.name}: did not complete ({m.note}); target {target}"
        verdict = "met" if m.met else "BREACHED"
        return f"{self.name}: {m.seconds:.2f} s against {target}, {verdict}"


def drill_measurements(journal: Journal) -> dict[str, Measurement]:
    """The latest measurement of each name recorded by a check tagged @drill."""
    drill_checks = {c.id for c in journal.checks if DRILL_TAG in c.tags}
    found: dict[str, Measurement] = {}
    for owner, measurement in journal.measurements:
        if owner in drill_checks:
            found[measurement.name] = measurement
    return found


def findings(journal: Journal) -> tuple[RtoFinding, ...]:
    measured = drill_measurements(journal)
    return tuple(RtoFinding(name, measured.get(name)) for name in REQUIRED)
