"""AWS calls as data: what an operation will call, with which arguments, as whom.

An operation builds its writes as ``PlannedCall`` values; ``--plan`` prints them and a real
run executes exactly those values (after the tier guard), so the plan cannot drift from
what runs. ``CallLog`` records the calls a run really made (botocore events), for the
evidence and for tests that compare a plan with a run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from harness.world import World


@dataclass(frozen=True)
class PlannedCall:
    """One boto3 call: ``tier``'s credentials, ``service``, ``operation`` (the client's
    snake_case method name) and its exact keyword arguments."""

    tier: str
    service: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)
    write: bool = True
    why: str = ""

    def render(self, account: str | None = None) -> str:
        who = f"{self.tier} ({account})" if account else self.tier
        args = ", ".join(f"{k}={_arg(v)}" for k, v in self.params.items())
        kind = "WRITE" if self.write else "read "
        line = f"{kind} [{who}] {self.service}.{self.operation}({args})"
        return f"{line}  # {self.why}" if self.why else line


def _arg(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def execute(world: World, call: PlannedCall) -> Any:
    """Run ``call``; a write passes the tier guard first (caller account = tier account,
    production only with the explicit flag)."""
    if call.write:
        world.guard_write(call.tier, action=f"{call.service}.{call.operation}")
    return getattr(world.client(call.tier, call.service), call.operation)(**call.params)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass
class MadeCall:
    tier: str
    service: str
    operation: str  # the API name, e.g. UpdateService
    params: dict[str, Any]
    error: str | None = None  # the error code when the call failed


class CallLog:
    """Every call the world's clients of ``services`` make while ``recording``: the
    arguments as the caller passed them, and the error code when one came back."""

    def __init__(self) -> None:
        self.calls: list[MadeCall] = []
        self._lock = threading.Lock()

    @contextmanager
    def recording(self, world: World, tiers: list[str],
                  services: tuple[str, ...]) -> Iterator[CallLog]:
        hooks: list[tuple[Any, str, Any]] = []
        for tier in tiers:
            for service in services:
                events = world.client(tier, service).meta.events
                before, after = self._hooks(tier, service)
                events.register("before-parameter-build", before)
                events.register("after-call", after)
                hooks += [(events, "before-parameter-build", before), (events, "after-call", after)]
        try:
            yield self
        finally:
            for events, name, hook in hooks:
                events.unregister(name, hook)

    def _hooks(self, tier: str, service: str) -> tuple[Any, Any]:
        def before(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
            made = MadeCall(tier, service, model.name, json.loads(json.dumps(params, default=str)))
            context["harness_call"] = made
            with self._lock:
                self.calls.append(made)

        def after(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            made = context.get("harness_call")
            if isinstance(made, MadeCall) and "Error" in parsed:
                made.error = str(parsed["Error"].get("Code", "")) or "error"

        return before, after

    def named(self, operation: str, tier: str | None = None) -> list[MadeCall]:
        return [c for c in self.calls if c.operation == operation and tier in (None, c.tier)]

    @property
    def writes(self) -> list[MadeCall]:
        reads = ("Describe", "List", "Get", "BatchGet", "BatchCheck")
        return [c for c in self.calls if not c.operation.startswith(reads)]
