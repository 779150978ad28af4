"""ECS for one tier's service: what it runs, its task-definition revisions, registering a
copy with a new image or environment, and the swap (retried with backoff when throttled).

Every call goes through ``harness.io.aws.calls.execute`` (writes behind the tier guard) and
is logged as an :class:`AwsCall`, so a plan can print exactly what ran and what would run.
Results are frozen dataclasses.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness import naming
from harness.errors import AwsOperationError, ConfigError
from harness.io.aws.calls import AwsCall, Backoff, execute
from harness.world import World

_ARN_REVISION = re.compile(r":task-definition/(?P<family>[^:/]+):(?P<number>\d+)$")
# The fields of a described task definition that register_task_definition accepts back.
_REGISTER_FIELDS = ("family", "taskRoleArn", "executionRoleArn", "networkMode",
                    "containerDefinitions", "volumes", "placementConstraints",
                    "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
                    "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage",
                    "runtimePlatform")


@dataclass(frozen=True)
class Revision:
    """One task-definition revision, e.g. ``invapp-staging-app:3``."""

    family: str
    number: int
    arn: str
    status: str
    image: str
    environment: Mapping[str, str] = field(default_factory=dict, hash=False)
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def label(self) -> str:
        return f"{self.family}:{self.number}"

    @property
    def sha(self) -> str | None:
        """The image tag when it is a tag (the commit SHA), not a digest."""
        if "@" in self.image:
            return None
        tail = self.image.rsplit("/", 1)[-1]
        return tail.rsplit(":", 1)[-1] if ":" in tail else None


@dataclass(frozen=True)
class Swap:
    """A completed swap: the service now asks for ``to`` and ECS started ``deployment`` to
    replace its tasks. ``attempts`` > 1 when throttled."""

    tier: str
    service: str
    to: Revision
    deployment: str
    attempts: int
    throttled: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deployment:
    """One of a service's deployments as ECS reports it."""

    id: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    task_definition: str
    desired: int
    running: int
    pending: int
    rollout_state: str | None  # IN_PROGRESS | COMPLETED | FAILED (absent on old APIs)
    rollout_reason: str = ""

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Deployment:
        return cls(id=str(raw["id"]), status=str(raw.get("status", "")),
                   task_definition=str(raw.get("taskDefinition", "")),
                   desired=int(raw.get("desiredCount", 0)), running=int(raw.get("runningCount", 0)),
                   pending=int(raw.get("pendingCount", 0)), rollout_state=raw.get("rolloutState"),
                   rollout_reason=str(raw.get("rolloutStateReason", "")))


@dataclass(frozen=True)
class ServiceState:
    """What a service asks for and the deployments ECS is running for it (newest first)."""

    task_definition: str
    desired: int
    deployments: tuple[Deployment, ...]

    def find(self, deployment: str) -> Deployment | None:
        return next((d for d in self.deployments if d.id == deployment), None)

    @property
    def primary(self) -> Deployment | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


def not_a_release(revision: Revision) -> str | None:
    """Why ``revision`` must never be a rollback's default target, or None."""
    if revision.tags.get(naming.TAG_DRILL_ID):
        return f"registered by drill {revision.tags[naming.TAG_DRILL_ID]}"
    return None


def revision_number(arn: str) -> tuple[str, int]:
    found = _ARN_REVISION.search(arn)
    if not found:
        raise AwsOperationError(f"'{arn}' is not a task-definition revision ARN",
                                fix="this is unexpected from ECS; check the service definition")
    return found["family"], int(found["number"])


class EcsService:
    """The tier's ECS service, reached with ``as_tier``'s credentials (default its own)."""

    def __init__(self, world: World, tier: str, *, as_tier: str | None = None,
                 backoff: Backoff | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        found = world.tier(tier)
        if not (found.is_aws and found.cluster and found.service and found.task_family):
            raise ConfigError(f"tier '{tier}' has no ECS service",
                              fix="choose an AWS tier with cluster, service and task_family")
        self.world = world
        self.as_tier = as_tier
        self.tier = found
        self.cluster: str = found.cluster
        self.service: str = found.service
        self.family: str = found.task_family
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.calls: list[AwsCall] = []

    @property
    def where(self) -> str:
        return f"tier {self.tier.name}, cluster {self.cluster}, service {self.service}"

    # -- reads ----------------------------------------------------------------------------
    def current_arn(self) -> str:
        arn: str = self._active_service()["taskDefinition"]
        return arn

    def _active_service(self) -> Mapping[str, Any]:
        out = self._call("describe_services", cluster=self.cluster, services=[self.service])
        found = [s for s in out["services"] if s.get("status") == "ACTIVE"]
        if not found:
            raise AwsOperationError(
                f"service {self.service} not found in cluster {self.cluster}", where=self.where,
                fix=f"check the cluster and service names under [tiers.{self.tier.name}]")
        service: Mapping[str, Any] = found[0]
        return service

    def current(self) -> Revision:
        return self.describe(self.current_arn())

    def state(self) -> ServiceState:
        """The service's deployments as ECS reports them now."""
        found = self._active_service()
        return ServiceState(str(found["taskDefinition"]), int(found.get("desiredCount", 0)),
                            tuple(Deployment.from_api(d) for d in found.get("deployments") or ()))

    def revision_numbers(self, status: str = "ACTIVE") -> list[int]:
        """This family's revision numbers with ``status``, ascending (ECS's own sort is not
        relied on: moto ignores it, and the prefix filter also matches longer families)."""
        numbers: list[int] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"familyPrefix": self.family, "status": status}
            if token:
                params["nextToken"] = token
            out = self._call("list_task_definitions", **params)
            for arn in out["taskDefinitionArns"]:
                family, number = revision_number(arn)
                if family == self.family:
                    numbers.append(number)
            token = out.get("nextToken")
            if not token:
                return sorted(numbers)

    def describe(self, ref: str | int) -> Revision:
        """A revision by ARN or number; refuses a non-existent one naming it."""
        ident = f"{self.family}:{ref}" if isinstance(ref, int) else ref
        try:
            out = self._call("describe_task_definition", taskDefinition=ident, include=["TAGS"])
        except AwsOperationError as exc:
            if isinstance(exc.__cause__, ClientError) and exc.__cause__.response["Error"]["Code"] in (
                    "ClientException", "InvalidParameterException"):
                raise ConfigError(
                    f"task definition {ident} does not exist", where=self.where,
                    fix=f"pick one of the ACTIVE revisions: {self._active_labels()}") from exc
            raise
        td = out["taskDefinition"]
        container = td["containerDefinitions"][0]
        return Revision(
            family=td["family"], number=int(td["revision"]), arn=td["taskDefinitionArn"],
            status=td.get("status", "ACTIVE"), image=container["image"],
            environment={e["name"]: e["value"] for e in container.get("environment", [])},
            tags={t["key"]: t["value"] for t in out.get("tags", [])},
        )

    def active(self, number: int) -> Revision:
        """Revision ``number``, refused (naming it) unless it exists and is ACTIVE."""
        revision = self.describe(number)
        if revision.status != "ACTIVE":
            raise ConfigError(
                f"task definition {revision.label} is {revision.status}: it cannot be deployed",
                where=self.where, fix=f"pick one of the ACTIVE revisions: {self._active_labels()}")
        return revision

    def previous(self, before: int) -> Revision:
        """The immediately previous ACTIVE revision below ``before`` that is a release: never
        one a drill registered (tagged; a failed promote's is deregistered, so not ACTIVE)."""
        skipped: list[str] = []
        for number in reversed([n for n in self.revision_numbers() if n < before]):
            revision = self.describe(number)
            why = not_a_release(revision)
            if why is None:
                return revision
            skipped.append(f"{revision.label} ({why})")
        passed = f"; skipped {', '.join(skipped)}" if skipped else ""
        raise ConfigError(
            f"no ACTIVE release revision of {self.family} below {self.family}:{before}{passed}",
            where=self.where, fix="name a revision with --to-revision")

    def _active_labels(self) -> str:
        numbers = self.revision_numbers()
        return ", ".join(f"{self.family}:{n}" for n in numbers[-10:]) or "(none)"

    # -- writes ---------------------------------------------------------------------------
    def register_params(self, base: Revision, *, image: str | None = None,
                        environment: Mapping[str, str] | None = None,
                        tags: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The exact register_task_definition arguments for ``base`` with another image
        and/or extra environment (reads the base; registers nothing)."""
        td = self._call("describe_task_definition", taskDefinition=base.arn)["taskDefinition"]
        params = {k: td[k] for k in _REGISTER_FIELDS if td.get(k)}
        first = dict(params["containerDefinitions"][0])
        if image:
            first["image"] = image
        if environment:
            env = {e["name"]: e["value"] for e in first.get("environment", [])} | dict(environment)
            first["environment"] = [{"name": k, "value": v} for k, v in env.items()]
        params["containerDefinitions"] = [first, *params["containerDefinitions"][1:]]
        if tags:
            params["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        return params

    def register_copy(self, base: Revision, *, image: str | None = None,
                      environment: Mapping[str, str] | None = None,
                      tags: Mapping[str, str] | None = None) -> Revision:
        """Register a new revision: ``base`` with another image and/or extra environment."""
        params = self.register_params(base, image=image, environment=environment, tags=tags)
        out = self._call("register_task_definition", **params)
        return self.describe(out["taskDefinition"]["taskDefinitionArn"])

    def deregister(self, revision: Revision) -> None:
        self._call("deregister_task_definition", taskDefinition=revision.arn)


    def swap_call(self, target: Revision) -> AwsCall:
        return AwsCall(self.tier.name, "ecs", "update_service", {
            "cluster": self.cluster, "service": self.service, "taskDefinition": target.arn,
            "forceNewDeployment": True}, why=f"swap to {target.label}", as_tier=self.as_tier)

    def swap(self, target: Revision) -> Swap:
        """Point the service at ``target`` (full ARN). Throttling is retried with backoff; any
        other error is raised naming the service and the revision."""
        call = self.swap_call(target)
        throttled: list[str] = []
        out = self._call(call.operation, throttled=throttled, **call.params)
        asked = out["service"]["taskDefinition"]
        if asked != target.arn:
            raise AwsOperationError(
                f"service {self.service} asks for {asked} after the swap, not {target.arn}",
                where=self.where, fix="check for a concurrent deployment on this service")
        started = [d for d in out["service"].get("deployments") or ()
                   if d.get("status") == "PRIMARY" and d.get("taskDefinition") == target.arn]
        if not started:
            raise AwsOperationError(
                f"ECS started no deployment of {target.label} on service {self.service} (no "
                "PRIMARY deployment of it in the answer)", where=self.where,
                fix="check the service's deployment controller: the harness needs ECS "
                    "rolling deployments")
        return Swap(self.tier.name, self.service, target, str(started[0]["id"]),
                    len(throttled) + 1, tuple(throttled))

    def cluster_arn(self) -> str | None:
        """The cluster's ARN when it exists and is ACTIVE."""
        out = self._call("describe_clusters", clusters=[self.cluster])
        arns = [c["clusterArn"] for c in out["clusters"] if c.get("status") == "ACTIVE"]
        return str(arns[0]) if arns else None

    def _call(self, operation: str, *, throttled: list[str] | None = None, **params: Any) -> Any:
        call = AwsCall(self.tier.name, "ecs", operation, params, as_tier=self.as_tier)
        try:
            return execute(self.world, call, backoff=self.backoff, sleep=self.sleep,
                           throttled=throttled, log=self.calls)
        except ClientError as exc:
            raise AwsOperationError(
                f"ecs {operation} failed: {exc}", where=self.where,
                fix="check the names in the topology and the caller's permissions") from exc
        except BotoCoreError as exc:
            raise AwsOperationError(f"ecs {operation} failed: {exc}", where=self.where,
                                    fix="check network access to AWS and the credentials") from exc
