"""Watch one ECS deployment until it has replaced the service's tasks and the application is
healthy on it: the verification every swap shares (revert, promote, repoint, cleanup).

A running task reads its task definition and secrets once, when it starts; until the new
deployment's tasks run, every answer comes from the old tasks, whatever the version or the
database say. So a deep-health reading counts only when ECS reported, just before it, that
the deployment is PRIMARY with all its tasks running; and the deployment is complete (what
``aws ecs wait services-stable`` waits for) once its rollout is COMPLETED and no other
deployment is left. Recovered = complete AND N healthy readings in a row on the expected
image (and, for a repoint, on the expected database).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness import clock
from harness.clock import poll_until
from harness.io.aws.ecs import EcsService, ServiceState
from harness.io.http.health import HealthClient, Reading, short

SERVING_HEALTHY = "serving healthy"
DEPLOYMENT_COMPLETED = "deployment completed"


@dataclass(frozen=True)
class DeploymentView:
    """One deployment judged from the service's state (pure)."""

    id: str
    tasks_running: bool
    completed: bool
    fatal: str | None
    describe: str


def judge(state: ServiceState, deployment: str) -> DeploymentView:
    ours = state.find(deployment)
    primary = state.primary
    if ours is None:
        replaced = f" (PRIMARY is now {primary.id})" if primary else ""
        return DeploymentView(deployment, False, False,
                              f"deployment {deployment} is gone from the service{replaced}: "
                              "another deployment replaced it", "gone")
    others = len(state.deployments) - 1
    running = ours.status == "PRIMARY" and ours.desired > 0 and ours.running >= ours.desired
    rollout = ours.rollout_state or "-"
    done = running and others == 0 and ours.rollout_state in (None, "COMPLETED")
    fatal = None
    if ours.rollout_state == "FAILED":
        fatal = f"ECS reports deployment {deployment} FAILED: {ours.rollout_reason or '-'}"
    elif ours.status != "PRIMARY":
        fatal = f"deployment {deployment} is no longer PRIMARY ({ours.status})"
    text = (f"deployment {deployment} {ours.status}, rollout {rollout}, {ours.running}/"
            f"{ours.desired} tasks running, {others} other deployment(s) left")
    return DeploymentView(deployment, running, done, fatal, text)


def json_path(body: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted path of a JSON body, or None."""
    value: Any = body
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def on_database(value: Any, expected_host: str) -> bool:
    """The deep-health value names ``expected_host`` (alone or as host:port)."""
    text = str(value or "").strip().lower()
    host = expected_host.strip().lower()
    return bool(host) and (text == host or text.startswith(host + ":"))


@dataclass(frozen=True)
class Expected:
    """What the recovered application must show."""

    sha: str | None
    database: str | None = None  # host, checked at database_path when both are set
    database_path: str | None = None

    def shown_by(self, reading: Reading) -> bool:
        if not reading.running(self.sha):
            return False
        if self.database and self.database_path:
            return on_database(json_path(reading.health.body, self.database_path), self.database)
        return True

    def describe(self) -> str:
        text = f"image {short(self.sha)}"
        if self.database and self.database_path:
            text += f" on database {self.database} ({self.database_path})"
        return text

    def describe_reading(self, reading: Reading) -> str:
        text = reading.describe(self.sha)
        if self.database and self.database_path:
            text += f"; database {json_path(reading.health.body, self.database_path) or '-'}"
        return text


@dataclass(frozen=True)
class Poll:
    deployment: DeploymentView
    # None while the deployment's tasks do not run: the old tasks' answers cannot count.
    reading: Reading | None


@dataclass(frozen=True)
class RolloutOutcome:
    deployment: str
    serving_at: float | None  # monotonic: first OK of the streak that completed
    streak_at: float | None  # monotonic: the streak reached N
    completed_at: float | None  # monotonic: first read showing the deployment complete
    polls: int
    last: Poll | None
    fatal: str | None

    @property
    def recovered(self) -> bool:
        return (self.fatal is None and self.serving_at is not None
                and self.completed_at is not None and self.streak_at is not None)

    def describe_last(self, expected: Expected) -> str:
        if self.last is None:
            return "no reading"
        reading = self.last.reading
        health = (expected.describe_reading(reading) if reading is not None
                  else "deep health not read while the deployment's tasks are not running")
        return f"{self.last.deployment.describe}; {health}"


class _Watch:
    def __init__(self, ecs: EcsService, health: HealthClient, deployment: str,
                 expected: Expected, needed: int) -> None:
        self.ecs, self.health, self.deployment = ecs, health, deployment
        self.expected, self.needed = expected, needed
        self.count = 0
        self.first_at: float | None = None
        self.streak_at: float | None = None
        self.completed_at: float | None = None
        self.fatal: str | None = None

    def poll(self) -> Poll:
        read_at = clock.monotonic()  # the clock the readings and the stopwatch read
        view = judge(self.ecs.state(), self.deployment)
        if view.fatal:
            self.fatal = view.fatal
        if view.completed and self.completed_at is None:
            self.completed_at = read_at
        reading = self.health.read() if view.tasks_running else None
        if reading is not None and self.expected.shown_by(reading):
            if self.count == 0:
                self.first_at = reading.at
            self.count += 1
            if self.count == self.needed:
                self.streak_at = reading.at
        else:
            self.count, self.first_at, self.streak_at = 0, None, None
        return Poll(view, reading)

    def done(self, _: Poll) -> bool:
        return self.fatal is not None or (self.count >= self.needed
                                          and self.completed_at is not None)


def watch(ecs: EcsService, health: HealthClient, deployment: str, expected: Expected, *,
          needed: int, interval_s: float, deadline_s: float,
          what: str = "a rollout") -> RolloutOutcome:
    """Poll ECS and deep health every ``interval_s`` until the deployment has recovered, a
    fatal state, or ``deadline_s``; ``what`` names the wait in heartbeat lines."""
    w = _Watch(ecs, health, deployment, expected, needed)
    outcome = poll_until(w.poll, w.done, interval=interval_s, deadline_s=deadline_s, what=what)
    serving = w.first_at if w.count >= needed else None
    return RolloutOutcome(deployment, serving, w.streak_at, w.completed_at, outcome.attempts,
                          outcome.last, w.fatal)
