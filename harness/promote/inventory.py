"""What each AWS tier's account holds that promote and rollback could touch, read and
serialised to canonical JSON bytes: compare two inventories to prove an operation (e.g.
``--plan``) changed nothing. Read-only calls only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from harness.world import World

# Fields that report the moment of the read, not the resource's state.
_READ_TIME = frozenset({"LatestRestorableTime"})


def inventory(world: World, tiers: list[str] | None = None) -> bytes:
    """Every ECS, ECR, RDS, SSM and Secrets Manager resource of ``tiers`` (default: every
    AWS tier), with its full describe output, as canonical JSON bytes."""
    names = tiers or [t.name for t in world.topology.tiers.values() if t.is_aws]
    doc = {name: dict(_tier(world, name)) for name in names}
    return json.dumps(doc, sort_keys=True, default=str, indent=1).encode()


def _tier(world: World, tier: str) -> Iterator[tuple[str, Any]]:
    ecs, ecr = world.client(tier, "ecs"), world.client(tier, "ecr")
    rds, ssm = world.client(tier, "rds"), world.client(tier, "ssm")
    clusters = _all(ecs.list_clusters, "clusterArns")
    yield "ecs.clusters", _strip(ecs.describe_clusters(clusters=clusters)) if clusters else []
    services = {}
    for cluster in sorted(clusters):
        arns = _all(ecs.list_services, "serviceArns", cluster=cluster)
        services[cluster] = (_strip(ecs.describe_services(cluster=cluster, services=arns))
                             if arns else [])
    yield "ecs.services", services
    task_defs = {}
    for status in ("ACTIVE", "INACTIVE"):
        for arn in _all(ecs.list_task_definitions, "taskDefinitionArns", status=status):
            task_defs[arn] = _strip(ecs.describe_task_definition(taskDefinition=arn,
                                                                 include=["TAGS"]))
    yield "ecs.task_definitions", task_defs
    repos = _all(ecr.describe_repositories, "repositories")
    yield "ecr.repositories", repos
    yield "ecr.images", {r["repositoryName"]: _all(ecr.describe_images, "imageDetails",
                                                   repositoryName=r["repositoryName"])
                         for r in repos}
    yield "rds.instances", [{k: v for k, v in i.items() if k not in _READ_TIME}
                            for i in _all(rds.describe_db_instances, "DBInstances", token="Marker")]
    yield "rds.snapshots", _all(rds.describe_db_snapshots, "DBSnapshots", token="Marker")
    parameters = _all(ssm.describe_parameters, "Parameters")
    yield "ssm.parameters", {p["Name"]: _strip(ssm.get_parameter(Name=p["Name"]))
                             for p in parameters}
    yield "secretsmanager.secrets", _optional(
        lambda: _all(world.client(tier, "secretsmanager").list_secrets, "SecretList"))


def _all(call: Callable[..., Any], key: str, token: str = "nextToken", **fixed: Any) -> list[Any]:
    out: list[Any] = []
    kwargs: dict[str, Any] = dict(fixed)
    while True:
        page = call(**kwargs)
        out += page.get(key, [])
        marker = page.get(token)
        if not marker:
            return sorted(out, key=lambda x: json.dumps(x, sort_keys=True, default=str))
        kwargs[token] = marker


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    """Drop the per-request metadata (request id, retry count)."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _optional(call: Callable[[], list[Any]]) -> list[Any] | str:
    try:
        return call()
    except ClientError as exc:
        return f"unreadable: {exc.response.get('Error', {}).get('Code', 'error')}"
