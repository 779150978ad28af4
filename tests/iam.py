"""The least-privilege IAM policies in docs/iam/ against what each command really calls: every
call a recorded run (``HARNESS_AWS_CALL_LOG``) or the command's ``--plan`` makes is allowed by
the policy for that command and tier, and every action a policy allows was called, or is
listed here with the reason it was not."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import botocore.session

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "docs" / "iam"

# Needs no permission at all.
FREE = frozenset({"sts:GetCallerIdentity"})
# Checked by IAM without an API call of its own: passing the task's roles when registering a
# task definition, tagging a resource in the call that creates it.
AUTHORIZATION_ONLY = frozenset({"iam:PassRole", "ecs:TagResource", "rds:AddTagsToResource"})
# Allowed by a policy for a path the stand-in runs do not take, with the reason.
NOT_EXERCISED: dict[tuple[str, str], dict[str, str]] = {
    ("gate", "prod"): {
        "ecs:DescribeServices": "prod's running SHA, read when --prod-sha is not given and "
                                "billing is decided from git (the runs pass --no-billing)",
        "ecs:DescribeTaskDefinition": "the same read of prod's running SHA",
    },
    ("promote", "staging"): {
        "ecs:DescribeServices": "staging's running SHA, read to suggest --sha when it is missing",
        "ecs:DescribeTaskDefinition": "the same read of staging's running SHA",
    },
}
_PLAN_LINE = re.compile(r"^\s*(?:only if that fails: |and then: )?(?:WRITE|read ) "
                        r"\[(?P<tier>[\w-]+)[^\]]*\] (?P<service>[\w-]+)\.(?P<op>\w+)\(", re.M)


def policy_actions(command: str, tier: str) -> set[str]:
    doc = json.loads((POLICIES / f"{command}-{tier}.json").read_text())
    assert doc["Version"] == "2012-10-17"
    actions: set[str] = set()
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"], statement
        actions |= set(statement["Action"])
    return actions


def recorded(log: Path) -> dict[str, set[str]]:
    """tier -> IAM actions, from a HARNESS_AWS_CALL_LOG file."""
    seen: dict[str, set[str]] = defaultdict(set)
    for line in log.read_text().splitlines():
        call = json.loads(line)
        seen[call["tier"]].add(call["action"])
    return seen


def planned(text: str) -> dict[str, set[str]]:
    """tier -> IAM actions, from the calls a --plan printed."""
    core = botocore.session.get_session()
    seen: dict[str, set[str]] = defaultdict(set)
    for found in _PLAN_LINE.finditer(text):
        model = core.get_service_model(found["service"])
        names = {botocore.xform_name(n): n for n in model.operation_names}
        seen[found["tier"]].add(f"{model.signing_name}:{names[found['op']]}")
    return seen


def check(command: str, seen: dict[str, set[str]]) -> list[str]:
    """Every way the policies of ``command`` and what was seen disagree (empty = agree)."""
    problems = []
    tiers = {p.stem.split("-", 1)[1] for p in POLICIES.glob(f"{command}-*.json")}
    for tier in sorted(tiers | set(seen)):
        if tier not in tiers:
            problems.append(f"{command} called tier {tier} but docs/iam has no "
                            f"{command}-{tier}.json: {sorted(seen[tier])}")
            continue
        allowed = policy_actions(command, tier)
        used = seen.get(tier, set()) - FREE
        problems += [f"{command}-{tier}.json does not allow {a}" for a in sorted(used - allowed)]
        excused = AUTHORIZATION_ONLY | set(NOT_EXERCISED.get((command, tier), {}))
        problems += [f"{command}-{tier}.json allows {a}, which no run or plan called"
                     for a in sorted(allowed - used - excused)]
    return problems


def merge(*parts: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for part in parts:
        for tier, actions in part.items():
            out[tier] |= actions
    return out
