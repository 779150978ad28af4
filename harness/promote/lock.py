"""Mutual exclusion for promote and rollback on one tier, held in the tier's own account.

The lock is an SSM parameter created with ``Overwrite=False``: SSM creates a parameter at
most once, so two runs on two machines cannot both hold it. Its value says who holds it,
why, and until when. A run that finds it held fails at once naming the holder; a lock past
its expiry is broken only when the caller asks for that explicitly.

Limits: SSM has no conditional delete, so release and break re-read the value first and
touch only what they read; two runs breaking the same stale lock in the same instant are
told apart when each re-reads the lock it believes it took (the loser is refused).
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from harness.clock import iso, utcnow
from harness.errors import HarnessError
from harness.io.aws.calls import AwsCall, error_code, execute
from harness.topology import Tier
from harness.world import World

PREFIX = "/promotion-harness/locks"
# Long enough for a snapshot, a swap, its recovery and an automatic rollback at the RTO
# limits; a crashed run's lock turns stale after this and can then be broken on purpose.
DEFAULT_TTL_S = 2 * 60 * 60


class LockHeld(HarnessError):
    """Another run holds the tier's lock (or left it behind)."""

    exit_code = 1


@dataclass(frozen=True)
class LockInfo:
    name: str
    owner: str
    reason: str
    operation: str
    acquired_at: datetime
    expires_at: datetime
    token: str

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def to_value(self) -> str:
        return json.dumps({"owner": self.owner, "reason": self.reason, "operation": self.operation,
                           "acquired_at": iso(self.acquired_at), "expires_at": iso(self.expires_at),
                           "token": self.token}, sort_keys=True)

    @classmethod
    def from_value(cls, name: str, value: str) -> LockInfo:
        try:
            raw = json.loads(value)
            return cls(name=name, owner=str(raw["owner"]), reason=str(raw.get("reason", "")),
                       operation=str(raw.get("operation", "?")),
                       acquired_at=datetime.fromisoformat(raw["acquired_at"]),
                       expires_at=datetime.fromisoformat(raw["expires_at"]),
                       token=str(raw.get("token", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise LockHeld(f"the lock parameter {name} holds something that is not a harness "
                           f"lock ({exc})", fix="inspect it with `aws ssm get-parameter`; delete "
                           "it by hand only if no promote or rollback is running") from exc

    def describe(self) -> str:
        return (f"held by {self.owner} for {self.operation} ({self.reason or 'no reason given'}) "
                f"since {iso(self.acquired_at)}, expires {iso(self.expires_at)}")


def lock_name(tier: Tier) -> str:
    return f"{PREFIX}/{tier.cluster}/{tier.service}"


def default_owner() -> str:
    """Who is running: the GitHub Actions run when there is one, else user@host."""
    run = os.environ.get("GITHUB_RUN_ID")
    if run:
        repo = os.environ.get("GITHUB_REPOSITORY", "?")
        return f"github {repo} run {run} ({os.environ.get('GITHUB_ACTOR', '?')})"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


class TierLock:
    """The lock of one tier. ``calls()`` lists the writes it would make (for ``--plan``);
    ``acquire``/``release`` make them."""

    def __init__(self, world: World, tier: str, *, operation: str, reason: str,
                 owner: str | None = None, ttl_s: float = DEFAULT_TTL_S,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.world = world
        self.tier = world.tier(tier)
        self.name = lock_name(self.tier)
        self._now = now
        # Stored to the millisecond (ISO 8601 in the value), so keep it at that precision.
        started = now()
        started = started.replace(microsecond=started.microsecond // 1000 * 1000)
        self.info = LockInfo(name=self.name, owner=owner or default_owner(), reason=reason,
                             operation=operation, acquired_at=started,
                             expires_at=started + timedelta(seconds=ttl_s),
                             token=secrets.token_hex(8))

    def put_call(self) -> AwsCall:
        return AwsCall(self.tier.name, "ssm", "put_parameter", {
            "Name": self.name, "Value": self.info.to_value(), "Type": "String",
            "Overwrite": False,
            "Description": f"promotion-harness lock for {self.tier.cluster}/{self.tier.service}",
        }, why="take the tier lock (fails if another run holds it)")

    def delete_call(self) -> AwsCall:
        return AwsCall(self.tier.name, "ssm", "delete_parameter", {"Name": self.name},
                       why="release the tier lock")

    def calls(self) -> tuple[AwsCall, AwsCall]:
        return self.put_call(), self.delete_call()

    def current(self) -> LockInfo | None:
        try:
            value = execute(self.world, AwsCall(self.tier.name, "ssm", "get_parameter",
                                                {"Name": self.name}))["Parameter"]["Value"]
        except ClientError as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            raise
        return LockInfo.from_value(self.name, str(value))

    def acquire(self, *, break_stale: bool = False) -> LockInfo:
        try:
            execute(self.world, self.put_call())
        except ClientError as exc:
            if error_code(exc) != "ParameterAlreadyExists":
                raise
            self._break_or_refuse(break_stale)
            try:
                execute(self.world, self.put_call())
            except ClientError as again:
                if error_code(again) != "ParameterAlreadyExists":
                    raise
                self._refuse(self.current(), "it was taken while the stale lock was broken")
        held = self.current()
        if held is None or held.token != self.info.token:
            self._refuse(held, "it was taken by another run at the same moment")
        return self.info

    def _break_or_refuse(self, break_stale: bool) -> None:
        held = self.current()
        if held is None:
            return
        if not held.expired(self._now()):
            self._refuse(held, "")
        if not break_stale:
            raise LockHeld(
                f"tier '{self.tier.name}' has a STALE lock {self.name}: {held.describe()}",
                fix="make sure that run is gone, then re-run with --break-stale-lock")
        if self.current() == held:
            execute(self.world, AwsCall(self.tier.name, "ssm", "delete_parameter",
                                        {"Name": self.name}, why="break the stale lock"))

    def _refuse(self, held: LockInfo | None, how: str) -> None:
        detail = held.describe() if held else "by a run that has since released it"
        suffix = f" ({how})" if how else ""
        raise LockHeld(
            f"tier '{self.tier.name}' is locked{suffix}: {self.name} is {detail}",
            fix="wait for that promote/rollback to finish; promote and rollback never run "
                "at the same time on one tier (a lock left by a killed drill: "
                f"`harness cleanup --tier {self.tier.name}`)")

    def release(self) -> bool:
        """Delete the lock if it is still ours; False when someone broke it meanwhile."""
        held = self.current()
        if held is None or held.token != self.info.token:
            return False
        execute(self.world, self.delete_call())
        return True


def drill_lock(world: World, tier: str, drill_id: str | None = None) -> LockInfo | None:
    """The tier lock when a drill (``drill_id``, or any) holds it: a drill's revert and a
    cleanup's swap take it with a reason starting "drill <id> "."""
    held = TierLock(world, tier, operation="cleanup", reason="harness cleanup").current()
    prefix = f"drill {drill_id} " if drill_id else "drill "
    return held if held is not None and held.reason.startswith(prefix) else None


def remove_drill_lock(world: World, tier: str, drill_id: str | None = None) -> LockInfo | None:
    """Remove the tier lock when a drill holds it: a drill killed during its revert leaves
    the lock behind until it expires. A lock held by anything else is left alone."""
    held = drill_lock(world, tier, drill_id)
    if held is None:
        return None
    execute(world, AwsCall(tier, "ssm", "delete_parameter", {"Name": held.name},
                               why="remove the lock a killed drill left behind"))
    return held
