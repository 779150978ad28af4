"""ECR for promotion: the image for a commit SHA in the target tier's repository, reused
when its tag is already there (never pushed again: tags are immutable), otherwise copied
from the source tier's repository by manifest.

``plan_image`` only reads and says what it would do; ``ensure_image`` carries the plan out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from harness.errors import AwsOperationError, ConfigError
from harness.io.aws.calls import AwsCall, error_code, execute
from harness.topology import Tier
from harness.world import World

# ECR answers a re-push of an immutable tag with ImageTagAlreadyExistsException; moto answers
# ImageAlreadyExistsException. Either means "the tag is already taken".
TAG_TAKEN = frozenset({"ImageTagAlreadyExistsException", "ImageAlreadyExistsException"})
NOT_FOUND = frozenset({"ImageNotFoundException"})


@dataclass(frozen=True)
class Image:
    """One tagged image in one tier's repository."""

    tier: str
    repository: str
    registry_id: str
    tag: str
    digest: str
    manifest: str
    media_type: str | None
    repository_uri: str

    @property
    def uri(self) -> str:
        return f"{self.repository_uri}:{self.tag}"


@dataclass(frozen=True)
class Repository:
    tier: str
    name: str
    uri: str
    registry_id: str
    immutable: bool


@dataclass(frozen=True)
class ImagePlan:
    """``reuse``: the SHA's image is already in the target repository. ``copy``: put the
    source tier's manifest under the SHA tag (``put`` is that exact call)."""

    action: Literal["reuse", "copy"]
    sha: str
    target: Repository
    existing: Image | None
    source: Image | None
    put: AwsCall | None

    @property
    def uri(self) -> str:
        return f"{self.target.uri}:{self.sha}"

    def describe(self) -> str:
        if self.action == "reuse" and self.existing is not None:
            return (f"reuse {self.uri} (already in {self.target.tier}'s ECR, digest "
                    f"{self.existing.digest}); nothing is pushed")
        src = self.source
        origin = f"{src.repository} in tier {src.tier} (digest {src.digest})" if src else "?"
        return f"copy {self.sha} from {origin} to {self.uri} by manifest"


@dataclass(frozen=True)
class ImageResult:
    plan: ImagePlan
    image: Image
    pushed: bool
    note: str = ""


def repository_name(tier: Tier) -> str:
    name = tier.ecr_repository or tier.task_family
    if not name:
        raise ConfigError(f"tier '{tier.name}' names no ECR repository",
                          fix=f"set ecr_repository under [tiers.{tier.name}]")
    return name


def repository(world: World, tier: str) -> Repository:
    name = repository_name(world.tier(tier))
    raw = _read(world, tier, "describe_repositories", repositoryNames=[name])["repositories"][0]
    return Repository(tier, name, str(raw["repositoryUri"]), str(raw["registryId"]),
                      raw.get("imageTagMutability", "MUTABLE").startswith("IMMUTABLE"))


def find_image(world: World, tier: str, sha: str) -> Image | None:
    """The image tagged ``sha`` in ``tier``'s repository, with its manifest, or None."""
    repo = repository(world, tier)
    out = _read(world, tier, "batch_get_image", repositoryName=repo.name,
                imageIds=[{"imageTag": sha}])
    images: list[Mapping[str, Any]] = out.get("images", [])
    if not images:
        return None
    raw = images[0]
    return Image(tier=tier, repository=repo.name, registry_id=repo.registry_id, tag=sha,
                 digest=str(raw["imageId"]["imageDigest"]), manifest=str(raw["imageManifest"]),
                 media_type=raw.get("imageManifestMediaType"), repository_uri=repo.uri)


def plan_image(world: World, *, target: str, source: str, sha: str) -> ImagePlan:
    """Decide reuse or copy for ``sha``; reads only."""
    repo = repository(world, target)
    existing = find_image(world, target, sha)
    if existing is not None:
        return ImagePlan("reuse", sha, repo, existing, None, None)
    src = find_image(world, source, sha)
    if src is None:
        src_repo = repository_name(world.tier(source))
        raise ConfigError(
            f"no image tagged {sha} in {target}'s repository {repo.name} nor in {source}'s "
            f"repository {src_repo}",
            fix="promote a SHA that was built and deployed to staging (the validated SHA)")
    params: dict[str, Any] = {"repositoryName": repo.name, "imageManifest": src.manifest,
                              "imageTag": sha}
    if src.media_type:
        params["imageManifestMediaType"] = src.media_type
    put = AwsCall(target, "ecr", "put_image", params,
                  why=f"copy the image for {sha} from {source}'s repository by manifest")
    return ImagePlan("copy", sha, repo, None, src, put)


def ensure_image(world: World, plan: ImagePlan) -> ImageResult:
    """Carry out ``plan``: nothing for a reuse; one put_image for a copy. A tag taken in the
    meantime is accepted only when it names the same image (same digest)."""
    if plan.action == "reuse" and plan.existing is not None:
        return ImageResult(plan, plan.existing, pushed=False)
    assert plan.put is not None and plan.source is not None
    try:
        execute(world, plan.put)
    except ClientError as exc:
        code = error_code(exc)
        if code in TAG_TAKEN:
            return _taken_meanwhile(world, plan, code)
        if code == "LayersNotFoundException":
            raise AwsOperationError(
                f"ECR in tier {plan.target.tier} refused the manifest for {plan.sha}: its layers "
                f"are not in {plan.target.name}", where=f"repository {plan.target.uri}",
                fix="enable ECR cross-account replication from staging, or push the image for "
                    "this SHA to production's repository from CI, then promote again") from exc
        raise AwsOperationError(f"ecr put_image {plan.uri} failed: {exc}",
                                where=f"tier {plan.target.tier}",
                                fix="check the caller's ECR permissions in that account") from exc
    image = find_image(world, plan.target.tier, plan.sha)
    if image is None:
        raise AwsOperationError(f"{plan.uri} is not readable right after it was put",
                                fix="check the repository's lifecycle policy")
    return ImageResult(plan, image, pushed=True)


def _taken_meanwhile(world: World, plan: ImagePlan, code: str) -> ImageResult:
    assert plan.source is not None
    image = find_image(world, plan.target.tier, plan.sha)
    if image is not None and image.digest == plan.source.digest:
        return ImageResult(plan, image, pushed=False,
                           note=f"the tag {plan.sha} appeared meanwhile ({code}); same digest, "
                                "reused and not pushed again")
    seen = image.digest if image else "unknown"
    raise AwsOperationError(
        f"tag {plan.sha} in {plan.target.name} ({plan.target.tier}) names digest {seen}, "
        f"not {plan.source.digest} from {plan.source.tier}", where=f"repository {plan.target.uri}",
        fix="immutable tags cannot be moved: find out who pushed that tag before promoting")


def _read(world: World, tier: str, operation: str, **params: Any) -> Any:
    try:
        return execute(world, AwsCall(tier, "ecr", operation, params))
    except ClientError as exc:
        if error_code(exc) == "RepositoryNotFoundException":
            name = params.get("repositoryName") or params.get("repositoryNames")
            raise ConfigError(f"ECR repository {name} not found in tier {tier}",
                              fix=f"check ecr_repository under [tiers.{tier}]") from exc
        raise AwsOperationError(f"ecr {operation} failed in tier {tier}: {exc}",
                                fix="check the caller's ECR permissions") from exc
