"""The tier's DB-host secret in Secrets Manager: read it, and point it at another endpoint.

The secret holds either the bare host name or a JSON object with ``host`` (and ``port``);
an update keeps whichever shape it found, so the application reads it as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.errors import AwsOperationError, ConfigError
from harness.io.aws.calls import AwsCall, execute
from harness.world import World


@dataclass(frozen=True)
class DbHost:
    host: str
    port: int | None
    raw: str  # the secret string as read (a host name, never a password, by the topology's contract)

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host


def parse_db_host(raw: str) -> DbHost:
    text = raw.strip()
    if text.startswith("{"):
        doc: Any = json.loads(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("host"), str):
            raise ConfigError("the DB-host secret is JSON without a string 'host' field",
                              fix='store the host name, or {"host": "...", "port": 5432}')
        port = doc.get("port")
        return DbHost(doc["host"], int(port) if port is not None else None, raw)
    return DbHost(text, None, raw)


def render_db_host(previous: DbHost | None, host: str, port: int | None) -> str:
    """The new secret string, in the shape of the previous one."""
    if previous is not None and previous.raw.strip().startswith("{"):
        doc = json.loads(previous.raw)
        doc["host"] = host
        if port is not None and "port" in doc:
            doc["port"] = port if isinstance(doc["port"], int) else str(port)
        return json.dumps(doc)
    return host


def _secret_name(world: World, tier: str) -> str:
    name = world.tier(tier).db_host_secret
    if not name:
        raise ConfigError(f"tier '{tier}' names no DB-host secret",
                          fix=f"set db_host_secret under [tiers.{tier}]")
    return name


def read_db_host(world: World, tier: str) -> DbHost:
    name = _secret_name(world, tier)
    try:
        raw = execute(world, AwsCall(tier, "secretsmanager", "get_secret_value",
                                     {"SecretId": name}))["SecretString"]
    except (BotoCoreError, ClientError) as exc:
        raise AwsOperationError(f"cannot read secret {name}: {exc}", where=f"tier {tier}",
                                fix="check the secret exists and the tier's role may read it") from exc
    return parse_db_host(str(raw))


def write_db_host(world: World, tier: str, host: str, port: int | None) -> DbHost:
    """Point the DB-host secret at ``host`` (and ``port``); returns what it held before."""
    name = _secret_name(world, tier)
    before = read_db_host(world, tier)
    try:
        execute(world, AwsCall(tier, "secretsmanager", "put_secret_value",
                               {"SecretId": name, "SecretString": render_db_host(before, host, port)},
                               why=f"point the DB-host secret at {host}"))
    except (BotoCoreError, ClientError) as exc:
        raise AwsOperationError(f"cannot update secret {name}: {exc}", where=f"tier {tier}",
                                fix="check the tier's role may write the secret") from exc
    return before
