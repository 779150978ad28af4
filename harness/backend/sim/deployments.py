"""ECS deployments as ECS runs them, for moto (which keeps one deployment per service and never
rolls anything out).

Installed on moto's ECS backend (in-process for the sim, or inside a moto server process for
the AWS stand-in), it makes ``update_service`` start a new PRIMARY deployment whenever the
task definition changes or ``forceNewDeployment`` is set, and lets time (the harness's clock) pass on
``describe_services``: a deployment's tasks start ``rollout_latency_s`` after it was created;
from then on the deployments before it drain and are gone ``deregistration_delay_s`` later;
the PRIMARY deployment is ``COMPLETED`` once its tasks run and no other deployment is left.
A task reads its task definition and secrets when it starts, so an application that follows
this model (``harness.backend.sim.app``) serves a change only once a deployment replaced its
tasks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend
from moto.moto_api._internal import mock_random

from harness import clock

# Asked before a deployment's tasks start: (moto's ECS backend of the account, cluster,
# service, the task definition the service serves now) -> True to keep the new tasks from
# ever starting (the sim's fault never-recover).
Stuck = Callable[[Any, str, str, str], bool]


@dataclass
class _Timing:
    created: float
    started: float | None = None
    draining_since: float | None = None


@dataclass
class DeploymentModel:
    rollout_latency_s: float = 1.0
    deregistration_delay_s: float = 0.2
    stuck: Stuck | None = None
    _timings: dict[str, _Timing] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _patches: list[Any] = field(default_factory=list)

    def install(self) -> DeploymentModel:
        for name in ("create_service", "update_service", "describe_services"):
            original = getattr(EC2ContainerServiceBackend, name)
            patcher = mock.patch.object(EC2ContainerServiceBackend, name,
                                        self._wrap(getattr(self, f"_on_{name}"), original))
            patcher.start()
            self._patches.append(patcher)
        return self

    def uninstall(self) -> None:
        while self._patches:
            self._patches.pop().stop()

    def reset(self) -> None:
        with self._lock:
            self._timings.clear()

    @staticmethod
    def _wrap(hook: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(backend: Any, *args: Any, **kwargs: Any) -> Any:
            return hook(original, backend, *args, **kwargs)
        return wrapper

    # -- the hooks ---------------------------------------------------------------------------
    def _on_create_service(self, original: Callable[..., Any], backend: Any, *args: Any,
                           **kwargs: Any) -> Any:
        service = original(backend, *args, **kwargs)
        with self._lock:
            # A service that exists when the world starts has been running for a while.
            now = clock.monotonic()
            for deployment in service.deployments:
                self._timings[deployment["id"]] = _Timing(now, started=now)
                deployment.update(runningCount=deployment["desiredCount"], pendingCount=0)
            self._advance(backend, service, now)
        return service

    def _on_update_service(self, original: Callable[..., Any], backend: Any,
                           props: dict[str, Any]) -> Any:
        props = dict(props)
        forced = bool(props.pop("force_new_deployment", False))
        service = backend._get_service(props.get("cluster", "default"),
                                       props["service"].split("/")[-1])
        before = service.task_definition
        # moto's own "forced deployment" renames the running deployment: never let it.
        updated = original(backend, props)
        with self._lock:
            now = clock.monotonic()
            self._advance(backend, updated, now)
            if forced or updated.task_definition != before:
                self._start_deployment(updated, now)
        return updated

    def _on_describe_services(self, original: Callable[..., Any], backend: Any, *args: Any,
                              **kwargs: Any) -> Any:
        services, failures = original(backend, *args, **kwargs)
        with self._lock:
            now = clock.monotonic()
            for service in services:
                self._advance(backend, service, now)
        return services, failures

    # -- the model ---------------------------------------------------------------------------
    def _start_deployment(self, service: Any, now: float) -> None:
        for deployment in service.deployments:
            deployment["status"] = "ACTIVE"
        ident = f"ecs-svc/{mock_random.randint(0, 32**12)}"
        stamp = utcnow()
        service.deployments.insert(0, {
            "id": ident, "status": "PRIMARY", "taskDefinition": service.task_definition,
            "desiredCount": service.desired_count, "pendingCount": service.desired_count,
            "runningCount": 0, "failedTasks": 0, "createdAt": stamp, "updatedAt": stamp,
            "launchType": service.launch_type, "platformVersion": service.platform_version,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {ident} in progress.",
        })
        self._timings[ident] = _Timing(now)
        self._counts(service)

    def _advance(self, backend: Any, service: Any, now: float) -> None:
        deployments: list[dict[str, Any]] = service.deployments
        if not deployments:
            return
        newest = deployments[0]
        timing = self._timings.setdefault(newest["id"], _Timing(now, started=now))
        if timing.started is None and now - timing.created >= self.rollout_latency_s:
            serving = next((d for d in deployments[1:] if self._started(d)), None)
            blocked = serving is not None and self.stuck is not None and self.stuck(
                backend, service.cluster_name, service.name, serving["taskDefinition"])
            if not blocked:
                # The tasks started at the end of the rollout, whenever it is noticed.
                timing.started = timing.created + self.rollout_latency_s
                newest.update(runningCount=newest["desiredCount"], pendingCount=0,
                              updatedAt=utcnow())
        if timing.started is not None:
            for older in deployments[1:]:
                old = self._timings.setdefault(older["id"], _Timing(timing.started))
                if old.draining_since is None:
                    old.draining_since = timing.started
            gone = [d for d in deployments[1:]
                    if now - (self._timings[d["id"]].draining_since or now)
                    >= self.deregistration_delay_s]
            for deployment in gone:
                deployments.remove(deployment)
                self._timings.pop(deployment["id"], None)
            if len(deployments) == 1 and newest["rolloutState"] != "COMPLETED":
                newest.update(rolloutState="COMPLETED", updatedAt=utcnow(),
                              rolloutStateReason=f"ECS deployment {newest['id']} completed.")
        self._counts(service)

    def _started(self, deployment: dict[str, Any]) -> bool:
        timing = self._timings.get(deployment["id"])
        return timing is not None and timing.started is not None

    @staticmethod
    def _counts(service: Any) -> None:
        service.running_count = sum(d["runningCount"] for d in service.deployments)
        service.pending_count = sum(d["pendingCount"] for d in service.deployments)
