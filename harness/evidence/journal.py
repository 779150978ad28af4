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
from harness.evidence.verdict import Verdict, verdict_of

SCHEMA_VERSION = 2
# "running" only while the check (or step) runs: it is never written. A check left running
# when the run ends was interrupted (the run was stopped) or broke the harness ("error").
Status = Literal["running", "passed", "failed", "error", "skipped", "not_applicable",
                 "interrupted", "not_run"]


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
    status: Status = "running"
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        finished = self.finished or self.started
        return {
            "keyword": self.keyword,
            "text": self.text,
            "status": _written(self.status),
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
    status: Status = "running"
    detail: str = ""
    error: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # Which collected test this check records (pytest's node id); never written.
    key: str = field(default="", repr=False)

    def note(self, line: str) -> None:
        """Append a line to the human-readable detail of this check."""
        self.detail = f"{self.detail}\n{line}" if self.detail else line

    def link(self, label: str, url: str) -> None:
        self.links.append({"label": label, "url": url})

    def add_undo_time(self, seconds: float) -> None:
        """The check's undo (its finaliser's verified cleanup) took ``seconds`` after its call
        ended: the check's verdict waited for it, so its time is the check's. A check still
        open is left alone (its end counts everything)."""
        if self.finished is None:
            return
        self.duration_s += seconds
        self.finished = utcnow()

    def attach(self, name: str, kind: Literal["text", "diff", "table", "json"], content: Any) -> None:
        self.attachments.append({"name": name, "kind": kind, "content": content})

    def to_json(self) -> dict[str, Any]:
        finished = self.finished or self.started
        return {
            "id": self.id,
            "feature": self.feature,
            "scenario": self.scenario,
            "name": self.name,
            "status": _written(self.status),
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


@dataclass(frozen=True)
class Expected:
    """A check the run was expected to make (a collected scenario), by pytest node id."""

    key: str
    feature: str
    scenario: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stopped:
    """Why and where a run stopped before its end, and what its undo did."""

    signal: str  # SIGINT, SIGTERM
    where: str
    undo: Literal["ran", "skipped"] = "ran"
    left: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"signal": self.signal, "where": self.where, "undo": self.undo,
                "left": list(self.left)}


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
    expected: list[Expected] = field(default_factory=list)
    stopped: Stopped | None = None

    def __post_init__(self) -> None:
        if not self.run_id:
            self.run_id = new_run_id(self.kind, self.started)
        if self.backend == "sim":
            self.add_note("SIMULATED: AWS is moto and the application is the local sim app; "
                          "times are real durations of the simulated operations.")

    def add_note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def expect(self, expected: Expected) -> None:
        """Declare a check the run is expected to make (before it runs)."""
        if all(e.key != expected.key for e in self.expected):
            self.expected.append(expected)

    def begin_check(self, feature: str, scenario: str, name: str | None = None,
                    tags: list[str] | None = None, key: str = "") -> CheckRecord:
        check = CheckRecord(
            id=f"c{len(self.checks) + 1:03d}",
            feature=feature,
            scenario=scenario,
            name=name or scenario,
            started=utcnow(),
            tags=sorted(tags or []),
            key=key,
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

    def where(self) -> str:
        """Where the run is: the running check and step, or between which checks."""
        running = self.current_check
        if running is not None:
            step = running.steps[-1] if running.steps else None
            at = f"{step.keyword} {step.text}" if step else "setting up"
            return f"{running.id} {running.name}: {at}"
        if not self.checks:
            return "start-up, before the first check"
        return f"after {self.checks[-1].id} {self.checks[-1].name}"

    def finish(self, stopped: Stopped | None = None) -> None:
        """End the run: a check or step still running is ``interrupted`` when the run was
        stopped and ``error`` otherwise (the harness broke under it); an expected check that
        never began is added as ``not_run``."""
        now = utcnow()
        self.finished = now
        if stopped is not None:
            self.stopped = stopped
        unfinished: Status = "interrupted" if self.stopped else "error"
        for check in self.checks:
            if check.status == "running":
                check.status = unfinished
                check.finished = check.finished or now
                check.duration_s = check.duration_s or (now - check.started).total_seconds()
                check.error = check.error or (f"interrupted ({self.stopped.signal})" if self.stopped
                                              else "the check never finished")
            for step in check.steps:
                if step.status == "running":
                    step.status = unfinished
                    step.finished = now
        begun = {c.key for c in self.checks if c.key}
        for exp in self.expected:
            if exp.key not in begun:
                check = self.begin_check(exp.feature, exp.scenario, tags=list(exp.tags),
                                         key=exp.key)
                self.end_check(check, "not_run", 0.0)
                check.note("not run: the run ended before this check started")

    @property
    def verdict(self) -> Verdict:
        return verdict_of([{"status": _written(c.status)} for c in self.checks],
                          [{"met": m.met} for _, m in self.measurements],
                          expected=len(self.expected), stopped=self.stopped is not None)

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
            "expected_checks": len(self.expected),
            "stopped": self.stopped.to_json() if self.stopped else None,
            "checks": [c.to_json() for c in self.checks],
            "measurements": [_measurement_json(owner, m) for owner, m in self.measurements],
            "verdict": self.verdict,
        }


def _written(status: Status) -> str:
    """A status as the evidence holds it: a check still running when the journal is written
    (``finish`` not called: a bug) says so as an error, never as a pass."""
    return "error" if status == "running" else status


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
