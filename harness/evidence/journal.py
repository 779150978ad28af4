"""The evidence journal: a run's record as data. Checks, steps and measurements are appended
while the run goes; ``to_json`` gives the document ``harness.evidence.writer`` validates and
writes. Renderers (``harness.report``) read that document; the journal never reads them."""

from __future__ import annotations

import platform
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from typing import Any, Literal

from harness import __version__
from harness.clock import Measurement, iso, utcnow

SCHEMA_VERSION = 1
Status = Literal["passed", "failed", "skipped", "not_applicable"]
PASSING: frozenset[str] = frozenset({"passed", "skipped", "not_applicable"})


def new_run_id(kind: str, now: datetime | None = None) -> str:
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{kind}-{secrets.token_hex(2)}"


def tool_versions() -> dict[str, str]:
    versions = {"harness": __version__, "python": platform.python_version()}
    for dist in ("pytest", "pytest-bdd", "boto3", "moto", "psycopg", "pglast", "pgserver"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return versions


@dataclass
class StepRecord:
    keyword: str
    text: str
    started: datetime
    finished: datetime | None = None
    duration_s: float = 0.0
    status: Status = "passed"
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        finished = self.finished or self.started
        return {
            "keyword": self.keyword,
            "text": self.text,
            "status": self.status,
            "started_at": iso(self.started),
            "finished_at": iso(finished),
            "duration_s": round(self.duration_s, 4),
            "error": self.error,
        }


@dataclass
class CheckRecord:
    """One verification (a Gherkin scenario, or one gate item)."""

    id: str
    feature: str
    scenario: str
    name: str
    started: datetime
    tags: list[str] = field(default_factory=list)
    finished: datetime | None = None
    duration_s: float = 0.0
    status: Status = "passed"
    detail: str = ""
    error: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def note(self, line: str) -> None:
        """Append a line to the human-readable detail of this check."""
        self.detail = f"{self.detail}\n{line}" if self.detail else line

    def link(self, label: str, url: str) -> None:
        self.links.append({"label": label, "url": url})

    def attach(self, name: str, kind: Literal["text", "diff", "table", "json"], content: Any) -> None:
        self.attachments.append({"name": name, "kind": kind, "content": content})

    def to_json(self) -> dict[str, Any]:
        finished = self.finished or self.started
        return {
            "id": self.id,
            "feature": self.feature,
            "scenario": self.scenario,
            "name": self.name,
            "status": self.status,
            "started_at": iso(self.started),
            "finished_at": iso(finished),
            "duration_s": round(self.duration_s, 4),
            "detail": self.detail,
            "links": list(self.links),
            "error": self.error,
            "tags": list(self.tags),
            "steps": [s.to_json() for s in self.steps],
            "attachments": list(self.attachments),
        }


@dataclass(frozen=True)
class RollbackRecord:
    """What a rollback's decision record adds: who ordered it and why, the application
    revisions (Layer 1) or the migration and the path taken (Layer 2), the measured RTO."""

    layer: Literal["application", "data"]
    ordered_by: str
    reason: str
    from_revision: str | None = None
    to_revision: str | None = None
    migration: str | None = None
    data_path: Literal["down", "restore"] | None = None
    rto_name: str | None = None
    rto_seconds: float | None = None


@dataclass
class Decision:
    """The decision record the runbook asks for: a promotion's, or a rollback's (with
    ``rollback`` set)."""

    cycle: str | None
    sha: str | None
    snapshot_id: str | None
    signed_off_by: str | None
    verdict: Literal["pass", "fail"]
    rollback: RollbackRecord | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cycle": self.cycle, "sha": self.sha,
                               "snapshot_id": self.snapshot_id,
                               "signed_off_by": self.signed_off_by, "verdict": self.verdict}
        if self.rollback is not None:  # absent, not null: a promotion's record is unchanged
            r = self.rollback
            out["rollback"] = {
                "layer": r.layer, "ordered_by": r.ordered_by, "reason": r.reason,
                "from_revision": r.from_revision, "to_revision": r.to_revision,
                "migration": r.migration, "data_path": r.data_path, "rto_name": r.rto_name,
                "rto_seconds": None if r.rto_seconds is None else round(r.rto_seconds, 4)}
        return out


@dataclass
class Journal:
    """A run's record. Mutated only through its methods; serialised by ``to_json``."""

    kind: str
    backend: Literal["sim", "aws"]
    topology: str
    tier: str
    cycle: str | None = None
    sha: str | None = None
    run_id: str = ""
    started: datetime = field(default_factory=utcnow)
    finished: datetime | None = None
    notes: list[str] = field(default_factory=list)
    checks: list[CheckRecord] = field(default_factory=list)
    measurements: list[tuple[str | None, Measurement]] = field(default_factory=list)
    decision: Decision | None = None

    def __post_init__(self) -> None:
        if not self.run_id:
            self.run_id = new_run_id(self.kind, self.started)
        if self.backend == "sim":
            self.add_note("SIMULATED: AWS is moto and the application is the local sim app; "
                          "times are real durations of the simulated operations.")

    def add_note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def begin_check(self, feature: str, scenario: str, name: str | None = None,
                    tags: list[str] | None = None) -> CheckRecord:
        check = CheckRecord(
            id=f"c{len(self.checks) + 1:03d}",
            feature=feature,
            scenario=scenario,
            name=name or scenario,
            started=utcnow(),
            tags=sorted(tags or []),
        )
        self.checks.append(check)
        return check

    def end_check(self, check: CheckRecord, status: Status, duration_s: float,
                  error: str | None = None) -> None:
        check.finished = utcnow()
        check.duration_s = duration_s
        check.status = status
        if error:
            check.error = error

    @property
    def current_check(self) -> CheckRecord | None:
        return self.checks[-1] if self.checks and self.checks[-1].finished is None else None

    def record(self, measurement: Measurement, check: CheckRecord | None = None) -> Measurement:
        owner = check or self.current_check
        self.measurements.append((owner.id if owner else None, measurement))
        return measurement

    def measurement(self, name: str) -> Measurement | None:
        found = [m for _, m in self.measurements if m.name == name]
        return found[-1] if found else None

    @property
    def verdict(self) -> Literal["pass", "fail"]:
        if not self.checks and not self.measurements:
            return "fail"
        checks_ok = all(c.status in PASSING for c in self.checks)
        return "pass" if checks_ok and all(m.met for _, m in self.measurements) else "fail"

    def finish(self) -> None:
        self.finished = utcnow()

    def to_json(self) -> dict[str, Any]:
        finished = self.finished or utcnow()
        decision = self.decision.to_json() if self.decision is not None else None
        return {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "kind": self.kind,
            "started_at": iso(self.started),
            "finished_at": iso(finished),
            "backend": self.backend,
            "simulated": self.backend == "sim",
            "topology": self.topology,
            "tier": self.tier,
            "cycle": self.cycle,
            "sha": self.sha,
            "tool_versions": tool_versions(),
            "notes": list(self.notes),
            "decision": decision,
            "checks": [c.to_json() for c in self.checks],
            "measurements": [_measurement_json(owner, m) for owner, m in self.measurements],
            "verdict": self.verdict,
        }


def _measurement_json(owner: str | None, m: Measurement) -> dict[str, Any]:
    return {
        "name": m.name,
        "check": owner,
        "seconds": m.seconds,
        "target_seconds": m.target_seconds,
        "met": m.met,
        "completed": m.completed,
        "resolution_seconds": m.resolution_seconds,
        "started_at": iso(m.started_at),
        "phases": [{"name": p.name, "offset_s": p.offset_s} for p in m.phases],
        "note": m.note,
        "deadline_seconds": m.deadline_seconds,
        "subject": m.subject,
    }
