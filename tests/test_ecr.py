"""Image reuse or copy for promotion, against the sim's ECR (moto, one account per tier)."""

from __future__ import annotations

import hashlib
import json
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from harness.backend.sim import SimBackend
from harness.errors import AwsOperationError, ConfigError, GuardRefusal
from harness.io.aws import ecr
from harness.world import World

MEDIA = "application/vnd.docker.distribution.manifest.v2+json"


def sha_of(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def repo(world: World, tier: str) -> str:
    name = ecr.repository_name(world.tier(tier))
    client = world.client(tier, "ecr")
    try:
        client.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "RepositoryAlreadyExistsException":
            raise
    return name


def push(world: World, tier: str, sha: str, body: str | None = None) -> str:
    # With layers, moto derives the digest from the content as ECR does (without, at random).
    layer = "sha256:" + hashlib.sha256((body or sha).encode()).hexdigest()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MEDIA,
                           "config": {"digest": layer, "size": 7},
                           "layers": [{"digest": layer, "size": 1024, "mediaType": MEDIA}]})
    out = world.client(tier, "ecr").put_image(repositoryName=repo(world, tier),
                                              imageManifest=manifest, imageTag=sha)
    return str(out["image"]["imageId"]["imageDigest"])


@pytest.fixture
def world(sim_backend: SimBackend) -> World:
    """The session's sim without a reset: every test pushes images under SHAs of its own."""
    return World(sim_backend)


@pytest.fixture
def prod_world(world: World) -> World:
    repo(world, "prod")
    return world.with_prod_write(True)


def test_an_image_already_in_prod_is_reused_and_nothing_is_pushed(prod_world: World) -> None:
    sha = sha_of("reuse")
    digest = push(prod_world, "prod", sha)
    push(prod_world, "staging", sha)
    plan = ecr.plan_image(prod_world, target="prod", source="staging", sha=sha)
    assert plan.action == "reuse" and plan.put is None and plan.existing is not None
    with mock.patch.object(prod_world.client("prod", "ecr"), "put_image") as put:
        result = ecr.ensure_image(prod_world, plan)
    put.assert_not_called()
    assert not result.pushed and result.image.digest == digest
    assert result.image.uri.startswith("760007728097.dkr.ecr.") and result.image.uri.endswith(f":{sha}")


def test_an_image_only_in_staging_is_copied_by_manifest(prod_world: World) -> None:
    sha = sha_of("copy")
    staging_digest = push(prod_world, "staging", sha)
    plan = ecr.plan_image(prod_world, target="prod", source="staging", sha=sha)
    assert plan.action == "copy" and plan.put is not None and plan.put.tier == "prod"
    assert ecr.find_image(prod_world, "prod", sha) is None  # planning pushed nothing
    result = ecr.ensure_image(prod_world, plan)
    assert result.pushed and result.image.digest == staging_digest
    assert result.image.registry_id == "760007728097"
    assert plan.target.immutable


@pytest.mark.parametrize("code", ["ImageTagAlreadyExistsException", "ImageAlreadyExistsException"])
def test_a_tag_pushed_meanwhile_with_the_same_image_is_reused(prod_world: World, code: str) -> None:
    sha = sha_of(f"race-{code}")
    push(prod_world, "staging", sha)
    plan = ecr.plan_image(prod_world, target="prod", source="staging", sha=sha)
    push(prod_world, "prod", sha)  # another run copies it between plan and put
    if code == "ImageTagAlreadyExistsException":
        # What AWS answers (moto answers the other code): inject it in front of the call.
        def refuse(**_: object) -> object:
            raise ClientError({"Error": {"Code": code, "Message": "tag exists"}}, "PutImage")
        with mock.patch.object(prod_world.client("prod", "ecr"), "put_image", side_effect=refuse):
            result = ecr.ensure_image(prod_world, plan)
    else:
        result = ecr.ensure_image(prod_world, plan)
    assert not result.pushed and code in result.note


def test_a_tag_taken_by_another_image_is_an_error_naming_both_digests(prod_world: World) -> None:
    sha = sha_of("conflict")
    staging_digest = push(prod_world, "staging", sha)
    plan = ecr.plan_image(prod_world, target="prod", source="staging", sha=sha)
    other = push(prod_world, "prod", sha, body="a different build")
    with pytest.raises(AwsOperationError) as caught:
        ecr.ensure_image(prod_world, plan)
    assert other in str(caught.value) and staging_digest in str(caught.value)


def test_an_unknown_sha_is_a_config_error_naming_both_repositories(prod_world: World) -> None:
    repo(prod_world, "staging")
    with pytest.raises(ConfigError) as caught:
        ecr.plan_image(prod_world, target="prod", source="staging", sha=sha_of("never built"))
    assert "invapp-dev-app" in str(caught.value) and "invapp-staging-app" in str(caught.value)


def test_the_copy_is_a_write_behind_the_guard(world: World) -> None:
    sha = sha_of("guarded")
    repo(world, "prod")
    push(world, "staging", sha)
    plan = ecr.plan_image(world, target="prod", source="staging", sha=sha)
    with pytest.raises(GuardRefusal, match="explicit flag"):
        ecr.ensure_image(world, plan)
    assert ecr.find_image(world, "prod", sha) is None
