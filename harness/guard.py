"""The tier guard: the checks that stand between the harness and a real account.

Pure: it is handed the caller's account (from STS) and decides. A refusal names both
accounts, the tier and what to do.
"""

from __future__ import annotations

from harness.errors import GuardRefusal
from harness.topology import Tier


def check_drill_target(tier: Tier) -> None:
    """Drills only run on tiers marked drill-enabled, never on production."""
    if tier.production:
        raise GuardRefusal(
            f"refusing to run a drill on tier '{tier.name}': it is production "
            f"(cluster {tier.cluster or '-'}, account {tier.account_id or '-'})",
            fix="drills run on staging (or dev); pass --tier staging")
    if not tier.drill_enabled:
        raise GuardRefusal(
            f"refusing to run a drill on tier '{tier.name}': it is not drill-enabled",
            fix=f"set drill_enabled = true under [tiers.{tier.name}] if drills are allowed there")


def check_write(tier: Tier, caller_account: str, *, allow_prod: bool = False,
                action: str = "write") -> None:
    """Before any write to AWS: the caller must be in the tier's account, and a production
    tier needs the explicit flag."""
    if not tier.is_aws or tier.account_id is None:
        raise GuardRefusal(
            f"refusing to {action} on tier '{tier.name}': it is a {tier.kind} tier with no "
            "AWS account", fix="choose an AWS tier (staging or prod)")
    if caller_account != tier.account_id:
        raise GuardRefusal(
            f"refusing to {action} on tier '{tier.name}': the caller is in account "
            f"{caller_account} but the tier lives in account {tier.account_id}",
            fix=f"use credentials for account {tier.account_id} "
                f"(set aws_profile or role_arn under [tiers.{tier.name}])")
    if tier.production and not allow_prod:
        raise GuardRefusal(
            f"refusing to {action} on production tier '{tier.name}' "
            f"(cluster {tier.cluster}, account {tier.account_id}) without the explicit flag",
            fix="re-run with --allow-prod-write if this is intended")
