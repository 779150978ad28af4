"""What one AWS tier looks like when the sim starts: network, an IMMUTABLE ECR repository
with SHA-tagged images, an ECS cluster and service on the newest of several task-definition
revisions, and an RDS instance entry. Works against in-process moto and a moto server alike.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import boto3

from harness.topology import Tier

REVISIONS = 3
_MANIFEST_MEDIA = "application/vnd.docker.distribution.manifest.v2+json"
_LAYER_MEDIA = "application/vnd.docker.image.rootfs.diff.tar.gzip"


@dataclass(frozen=True)
class SeededTier:
    tier: str
    cluster_arn: str
    service_arn: str
    task_definition_arns: tuple[str, ...]
    image_shas: tuple[str, ...]
    db_instance_arn: str | None


def image_sha(tier: str, n: int) -> str:
    """A stable 40-hex commit SHA for the n-th seeded image of a tier."""
    return hashlib.sha1(f"{tier}-release-{n}".encode()).hexdigest()


def seed_tier(session: boto3.Session, tier: Tier) -> SeededTier:
    assert tier.is_aws and tier.cluster and tier.service and tier.task_family
    ec2, ecr, ecs = session.client("ec2"), session.client("ecr"), session.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24")["Subnet"]["SubnetId"]
               for i in (1, 2)]
    group = ec2.create_security_group(GroupName=f"{tier.service}-sg", VpcId=vpc,
                                      Description=f"{tier.name} app tasks")["GroupId"]
    repo_name = tier.ecr_repository or tier.task_family
    repo = ecr.create_repository(repositoryName=repo_name, imageTagMutability="IMMUTABLE")
    repo_uri = repo["repository"]["repositoryUri"]
    cluster_arn = ecs.create_cluster(clusterName=tier.cluster)["cluster"]["clusterArn"]
    shas, arns = [], []
    for n in range(1, REVISIONS + 1):
        sha = image_sha(tier.name, n)
        # With a layer, moto derives the image digest from the content, as ECR does (without
        # one it draws the digest at random), so a copy into another account keeps its digest.
        layer = f"sha256:{hashlib.sha256(f'{sha}-layer'.encode()).hexdigest()}"
        manifest = {"schemaVersion": 2, "mediaType": _MANIFEST_MEDIA,
                    "config": {"digest": f"sha256:{hashlib.sha256(sha.encode()).hexdigest()}"},
                    "layers": [{"mediaType": _LAYER_MEDIA, "digest": layer, "size": 1024}]}
        ecr.put_image(repositoryName=repo_name, imageManifest=json.dumps(manifest),
                      imageTag=sha)
        arn = ecs.register_task_definition(
            family=tier.task_family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="512", memory="1024",
            containerDefinitions=[{
                "name": "app", "image": f"{repo_uri}:{sha}", "essential": True,
                "portMappings": [{"containerPort": 3000}],
                "environment": [{"name": "APP_ENV", "value": tier.name}],
            }],
        )["taskDefinition"]["taskDefinitionArn"]
        shas.append(sha)
        arns.append(arn)
    service_arn = ecs.create_service(
        cluster=tier.cluster, serviceName=tier.service, taskDefinition=arns[-1],
        desiredCount=1, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": subnets, "securityGroups": [group], "assignPublicIp": "DISABLED"}},
    )["service"]["serviceArn"]
    db_arn = None
    if tier.db_instance:
        db_arn = session.client("rds").create_db_instance(
            DBInstanceIdentifier=tier.db_instance, Engine="postgres", EngineVersion="16.3",
            DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="app",
            MasterUserPassword="sim-only-password",
        )["DBInstance"]["DBInstanceArn"]
    return SeededTier(tier.name, cluster_arn, service_arn, tuple(arns), tuple(shas), db_arn)
