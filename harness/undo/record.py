"""One run's undo record for one tier (pure): what to put back and what to remove. It is
written before each change it describes (write-ahead), so a run killed at any instant leaves
a record at least as complete as what it changed; what a run creates also carries the
``harness:drill-id`` tag, which covers the instant between creating a thing and recording it.

Only a host name and port of the DB-host secret are kept, never the secret string: the
topology's contract is that it holds a host, but a JSON secret could hold more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from harness.errors import HarnessError

VERSION = 1


class BadUndoRecord(HarnessError):
    """An SSM parameter under the harness's undo prefix that is not an undo record."""

    exit_code = 1


@dataclass(frozen=True)
class UndoRecord:
    run_id: str
    tier: str
    operation: str
    created_at: str  # ISO 8601, UTC
    # The task-definition revision the service ran before the run first changed it.
    service_before: str | None = None
    # The DB-host secret's host and port before the run first changed it.
    db_host_before: tuple[str, int | None] | None = None
    # Revisions the run registered (deregistered by the undo).
    revisions: tuple[str, ...] = ()

    def with_service(self, arn: str) -> UndoRecord:
        """The first revision recorded is the one to go back to."""
        return self if self.service_before else replace(self, service_before=arn)

    def with_db_host(self, host: str, port: int | None) -> UndoRecord:
        return self if self.db_host_before else replace(self, db_host_before=(host, port))

    def with_revision(self, arn: str) -> UndoRecord:
        return self if arn in self.revisions else replace(self, revisions=(*self.revisions, arn))

    def to_value(self) -> str:
        doc: dict[str, Any] = {"version": VERSION, "run_id": self.run_id, "tier": self.tier,
                               "operation": self.operation, "created_at": self.created_at,
                               "service_before": self.service_before,
                               "revisions": list(self.revisions)}
        if self.db_host_before:
            doc["db_host_before"] = {"host": self.db_host_before[0],
                                     "port": self.db_host_before[1]}
        return json.dumps(doc, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_value(cls, name: str, value: str) -> UndoRecord:
        try:
            doc = json.loads(value)
            if doc.get("version") != VERSION:
                raise ValueError(f"version {doc.get('version')!r}, expected {VERSION}")
            db = doc.get("db_host_before")
            return cls(run_id=str(doc["run_id"]), tier=str(doc["tier"]),
                       operation=str(doc["operation"]), created_at=str(doc["created_at"]),
                       service_before=doc.get("service_before") or None,
                       db_host_before=(str(db["host"]), int(db["port"]) if db.get("port")
                                       else None) if db else None,
                       revisions=tuple(str(r) for r in doc.get("revisions") or ()))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadUndoRecord(f"the SSM parameter {name} is not a harness undo record ({exc})",
                                fix="inspect it with `aws ssm get-parameter`; delete it by hand "
                                    "once you know what it describes") from exc


def in_order(records: list[UndoRecord]) -> list[UndoRecord]:
    return sorted(records, key=lambda r: (r.created_at, r.run_id))


def service_before(records: list[UndoRecord]) -> str | None:
    """The revision the service ran before the first of these runs changed it."""
    return next((r.service_before for r in in_order(records) if r.service_before), None)


def db_host_before(records: list[UndoRecord]) -> tuple[str, int | None] | None:
    """The DB host before the first of these runs changed it."""
    return next((r.db_host_before for r in in_order(records) if r.db_host_before), None)
