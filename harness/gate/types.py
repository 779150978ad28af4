"""The promotion gate's data: its own inputs (beyond the shared cycle, SHA and backend), the
resolved run, one item's result. Pure: the CLI and the pytest plugin both build these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ItemStatus = Literal["passed", "failed", "not_applicable"]


@dataclass(frozen=True)
class ItemResult:
    """One checklist item's outcome; ``reason`` is the one line shown in the summary."""

    status: ItemStatus
    reason: str
    link: tuple[str, str] | None = None  # (label, URL or id)
    details: tuple[str, ...] = ()
    table: tuple[dict[str, str], ...] = ()
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"



@dataclass(frozen=True)
class GateOptions:
    """The gate's own inputs (beyond the shared cycle, SHA and backend)."""

    repo: Path | None = None
    prod_sha: str | None = None
    billing: bool | None = None
    migrations_dir: Path | None = None
    take_snapshot: bool = False


@dataclass(frozen=True)
class GateRun:
    """What this gate run evaluates, resolved once (defaults filled in, sources noted)."""

    cycle: str
    sha: str
    prod_sha: str | None
    options: GateOptions
    migrations_dir: Path | None
    # Files the cycle changed, when known without git (the sim knows its own cycle).
    changed_files: tuple[str, ...] | None = None
    notes: tuple[str, ...] = field(default=())
