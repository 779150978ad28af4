"""Gate item: staging answers its deep health, with its basic-auth credentials."""

from __future__ import annotations

from harness.gate.types import ItemResult
from harness.io.http.health import HealthClient
from harness.topology import Tier


def staging_health(tier: Tier) -> ItemResult:
    probe = HealthClient(tier).deep_health()
    link = ("deep health", probe.url)
    if probe.ok:
        return ItemResult("passed", f"deep health ok (HTTP {probe.status_code} in "
                                    f"{probe.elapsed_s:.2f} s)", link)
    if probe.failure == "credentials-rejected":
        return ItemResult("failed", f"credentials rejected, health unknown: {probe.detail}", link,
                          fix=f"check ${tier.basic_auth_user_env} / ${tier.basic_auth_password_env}")
    return ItemResult("failed", f"staging is not healthy ({probe.failure}): {probe.detail}", link,
                      fix="look at staging's logs and its deep-health checks before promoting")
