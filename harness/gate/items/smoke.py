"""Gate item: the smoke suite is green for exactly the validated SHA, read from the tier's
configured source (GitHub Actions, a command with JUnit XML, or the built-in check)."""

from __future__ import annotations

from harness.gate.smoke import SmokeSource, smoke_for
from harness.gate.types import ItemResult
from harness.io.http.github_actions import GitHubSmoke
from harness.topology import Tier, Topology


def smoke_source(topology: Topology, tier: Tier) -> SmokeSource:
    """The tier's configured smoke source (GitHub Actions, a command, or the built-in one)."""
    if tier.smoke_kind == "github":
        return GitHubSmoke(tier, topology.gate.github_api_url)
    return smoke_for(tier)


def smoke(topology: Topology, tier: Tier, sha: str) -> ItemResult:
    source = smoke_source(topology, tier)
    result = source.run(sha)
    link = ("smoke run", result.link) if result.link else None
    if result.passed:
        return ItemResult("passed", f"{source.name}: {result.summary}", link)
    failing = "; ".join(result.failures[:3])
    return ItemResult("failed", f"smoke not green for {sha[:12]} ({source.name}): {result.summary}",
                      link, details=tuple(result.failures),
                      fix=f"fix what failed ({failing}) and re-run the smoke suite"
                      if failing else "re-run the smoke suite for this SHA")
