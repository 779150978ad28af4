"""The least-privilege policies in docs/iam/: well-formed, naming real API actions, and the
check that compares them with a command's calls can fail both ways. (The stand-in modules,
tests/test_aws_backend.py and tests/test_aws_cleanup.py, hold every command's recorded run
and plan against them.)"""

from __future__ import annotations

import json

import botocore.session
import pytest

from harness.promote import promote
from harness.rollback import layer1
from harness.world import World
from tests import iam

NOT_IN_BOTOCORE = iam.AUTHORIZATION_ONLY | {"iam:PassRole"}


@pytest.mark.parametrize("path", sorted(iam.POLICIES.glob("*.json")), ids=lambda p: p.stem)
def test_each_policy_is_an_iam_document_of_real_actions(path: object) -> None:
    doc = json.loads(path.read_text())  # type: ignore[attr-defined]
    assert set(doc) == {"Version", "Statement"} and doc["Version"] == "2012-10-17"
    core = botocore.session.get_session()
    prefixes = {core.get_service_model(s).signing_name: s for s in
                ("ecs", "ecr", "rds", "ssm", "secretsmanager", "sts")}
    sids = [s["Sid"] for s in doc["Statement"]]
    assert len(sids) == len(set(sids)), sids
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"]
        for resource in [resources] if isinstance(resources, str) else resources:
            assert resource == "*" or resource.startswith("arn:aws:"), resource
        for action in statement["Action"]:
            prefix, _, name = action.partition(":")
            if action in NOT_IN_BOTOCORE:
                continue
            assert name in core.get_service_model(prefixes[prefix]).operation_names, action


def test_the_check_reports_a_missing_and_an_unused_action() -> None:
    allowed = iam.policy_actions("rollback", "staging")
    prod = {"prod": iam.policy_actions("rollback", "prod")}
    assert not iam.check("rollback", {"staging": set(allowed), **prod})
    missing = iam.check("rollback", {"staging": allowed | {"ecs:DeleteService"}, **prod})
    assert missing == ["rollback-staging.json does not allow ecs:DeleteService"]
    unused = iam.check("rollback", {"staging": allowed - {"ecs:UpdateService"}, **prod})
    assert unused == ["rollback-staging.json allows ecs:UpdateService, which no run or plan called"]
    elsewhere = iam.check("rollback", {"qa": {"ecs:DescribeServices"}, "staging": allowed, **prod})
    assert elsewhere == ["rollback called tier qa but docs/iam has no rollback-qa.json: "
                         "['ecs:DescribeServices']"]


def test_the_plans_printed_in_the_sim_stay_within_the_policies(world: World) -> None:
    revert = layer1.plan(world, "staging", reason="INC-1")
    text = "\n".join(revert.lines())
    assert iam.planned(text)["staging"] >= {"ecs:UpdateService", "ssm:PutParameter"}
    assert not [p for p in iam.check("rollback", iam.planned(text)) if "does not allow" in p]
    prod = world.with_prod_write(True)
    req = promote.PromoteRequest(promote.validated_sha(prod, "staging"), "NQU-1", "r", "Joe")
    lines = "\n".join(promote.make_plan(prod, req).lines())
    planned = iam.planned(lines)
    assert {"ecr:PutImage", "ecs:DeregisterTaskDefinition", "rds:CreateDBSnapshot"} <= planned["prod"]
    assert not [p for p in iam.check("promote", planned) if "does not allow" in p]
