"""AWS calls as data, and the one place a call is made.

An :class:`AwsCall` is one boto3 call: the tier whose resource it touches, whose credentials
make it (that tier's own unless ``as_tier`` says otherwise), the service, the operation (the
client's snake_case method) and its exact arguments. Operations build their writes as
values: ``--plan`` prints them and a real run hands exactly those values to :func:`execute`,
which passes every write through the tier guard first and retries throttling with backoff.
``CallLog`` records the calls a run really made (botocore events) as the same type.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from harness import interrupts
from harness.world import World

# Operations that only read: everything else is a write and passes the tier guard.
READ_PREFIXES = ("describe_", "list_", "get_", "batch_get_", "batch_check_")
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                              "RequestLimitExceeded"})


@dataclass(frozen=True)
class AwsCall:
    tier: str
    service: str
    operation: str
    params: Mapping[str, Any] = field(default_factory=dict)
    why: str = ""
    as_tier: str | None = None
    # A recorded call that failed: the error code AWS answered.
    error: str | None = None

    @property
    def write(self) -> bool:
        return not self.operation.startswith(READ_PREFIXES)

    @property
    def caller(self) -> str:
        return self.as_tier or self.tier

    def render(self, account: str | None = None) -> str:
        who = f"{self.caller} ({account})" if account else self.caller
        args = ", ".join(f"{k}={_arg(v)}" for k, v in self.params.items())
        kind = "WRITE" if self.write else "read "
        line = f"{kind} [{who}] {self.service}.{self.operation}({args})"
        return f"{line}  # {self.why}" if self.why else line


def _arg(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Backoff:
    """Retry schedule for throttled calls: base * 2**attempt, capped."""

    base_s: float = 0.2
    cap_s: float = 5.0
    attempts: int = 6

    def delay(self, attempt: int) -> float:
        return float(min(self.cap_s, self.base_s * 2 ** attempt))


def execute(world: World, call: AwsCall, *, backoff: Backoff | None = None,
            sleep: Callable[[float], None] = time.sleep, throttled: list[str] | None = None,
            log: list[AwsCall] | None = None) -> Any:
    """Make ``call``. A write passes the tier guard first (the caller's account must be the
    tier's, production only with the explicit flag); throttling is retried with backoff (each
    throttle code seen is appended to ``throttled``); any other error is raised as botocore
    raised it, for the wrapper to name the resource."""
    # Before a call is a safe point to stop at (``harness.interrupts``): none is half made.
    interrupts.checkpoint()
    if call.write:
        world.guard_write(call.tier, as_tier=call.as_tier,
                          action=f"{call.service}.{call.operation}")
    if log is not None:
        log.append(call)
    schedule = backoff or Backoff()
    method = getattr(world.client(call.caller, call.service), call.operation)
    for attempt in range(schedule.attempts):
        try:
            return method(**call.params)
        except ClientError as exc:
            code = error_code(exc)
            if code in THROTTLING_CODES and attempt + 1 < schedule.attempts:
                if throttled is not None:
                    throttled.append(code)
                sleep(schedule.delay(attempt))
                continue
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class CallLog:
    """Every call the world's clients of ``services`` make while ``recording``: the
    arguments as the caller passed them, and the error code when one came back."""

    def __init__(self) -> None:
        self.calls: list[AwsCall] = []
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
            call = AwsCall(tier, service, xform_name(model.name),
                           json.loads(json.dumps(params, default=str)))
            with self._lock:
                context["harness_call"] = len(self.calls)
                self.calls.append(call)

        def after(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            index = context.get("harness_call")
            if isinstance(index, int) and "Error" in parsed:
                made = self.calls[index]
                code = str(parsed["Error"].get("Code", "")) or "error"
                with self._lock:
                    self.calls[index] = AwsCall(made.tier, made.service, made.operation,
                                                made.params, error=code)

        return before, after

    def named(self, operation: str, tier: str | None = None) -> list[AwsCall]:
        return [c for c in self.calls if c.operation == operation and tier in (None, c.tier)]

    @property
    def writes(self) -> list[AwsCall]:
        return [c for c in self.calls if c.write]
