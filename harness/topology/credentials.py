"""Advice on a loaded topology's credentials (warnings, not errors): tiers that one login
reaches together. Pure."""

from __future__ import annotations

from harness.topology.model import Topology


def shared_credentials(topology: Topology) -> list[str]:
    """Pairs of AWS tiers whose sessions come from the same credentials (same profile and
    role, the default chain included): one login then reaches both, and a command that reads
    one tier with the other's account sees the wrong account's resources."""
    warnings = []
    seen: dict[tuple[str | None, str | None], str] = {}
    for tier in topology.tiers.values():
        if not tier.is_aws:
            continue
        key = tier.credentials
        if key in seen:
            profile, role = key
            what = (f"profile {profile or '(default chain)'}, role {role}" if role
                    else f"profile {profile}" if profile else "the default credential chain")
            warnings.append(f"tiers '{seen[key]}' and '{tier.name}' share credentials ({what}): "
                            f"give each tier its own aws_profile or role_arn, so each one is "
                            f"reached only in its own account")
        else:
            seen[key] = tier.name
    return warnings
