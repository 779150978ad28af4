"""Per-tier boto3 sessions.

A tier's session comes from its named profile, then assumes its role when one is set. The
sim uses the same path: its topology sets a role in each tier's (moto) account.

With ``HARNESS_AWS_CALL_LOG=FILE`` in the environment, every call a tier's session makes is
appended to FILE as one JSON line (tier, IAM action, operation): what the tier's role needs,
to compare with the least-privilege policies in ``docs/iam/``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from harness.errors import AwsOperationError, ConfigError
from harness.topology import Tier

SESSION_NAME = "promotion-harness"

# One model loader for every session: botocore caches parsed service models per loader, and
# parsing them again for each tier's session costs ~0.2 s a client.
_LOADER = botocore.loaders.create_loader()


def _session(**kwargs: str | None) -> boto3.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, **kwargs)  # type: ignore[arg-type]


CALL_LOG_ENV = "HARNESS_AWS_CALL_LOG"


def _log_calls(session: boto3.Session, tier: str, path: str) -> None:
    def record(model: Any, **_: Any) -> None:
        line = {"tier": tier, "action": f"{model.service_model.signing_name}:{model.name}",
                "operation": xform_name(model.name)}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    session.events.register("before-call", record)


def tier_session(tier: Tier, region: str) -> boto3.Session:
    session = _tier_session(tier, region)
    log = os.environ.get(CALL_LOG_ENV)
    if log:
        _log_calls(session, tier.name, log)
    return session


def _tier_session(tier: Tier, region: str) -> boto3.Session:
    if not tier.is_aws:
        raise ConfigError(f"tier '{tier.name}' is a {tier.kind} tier: it has no AWS session",
                          fix="pick an AWS tier (e.g. staging)")
    try:
        base = _session(profile_name=tier.aws_profile, region_name=region)
        if not tier.role_arn:
            return base
        creds = base.client("sts").assume_role(
            RoleArn=tier.role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
    except (BotoCoreError, ClientError) as exc:
        raise AwsOperationError(
            f"cannot get credentials for tier '{tier.name}': {exc}",
            where=f"profile {tier.aws_profile or '(default)'}, role {tier.role_arn or '-'}",
            fix="check aws_profile / role_arn in the topology and your AWS login") from exc
    return _session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )
