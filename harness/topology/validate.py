"""Strict validation of a topology file: an unknown key or section, a missing field, a
malformed account id, two tiers sharing an account or a cluster, a drill-enabled production
tier, or a non-production tier naming a production resource is an error naming the file,
the line, the full key and the fix (with a did-you-mean)."""

from __future__ import annotations

import difflib
import math
import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

from harness.errors import ConfigError
from harness.topology.envnames import ENV_NAME, ENV_NAME_KEYS, env_name_problem
from harness.topology.model import (
    DEFAULT_GITHUB_API,
    GateConfig,
    MigrationsConfig,
    NotifyConfig,
    Tier,
    Topology,
)
from harness.topology.template import snapshot_template_problem

ACCOUNT_ID = re.compile(r"^\d{12}$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/[\w+=,.@/-]+$")
JSON_PATH = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")

# Allowed keys per section: key -> (type, required). Required-ness of tier keys depends on
# the tier kind, see _TIER_REQUIRED.
_TOP_SECTIONS = ("topology", "rto", "snapshot", "migrations", "gate", "notify", "tiers")
_SECTION_KEYS: dict[str, dict[str, tuple[type, bool]]] = {
    "topology": {"name": (str, True), "region": (str, True)},
    "rto": {"application_minutes": (float, True), "data_minutes": (float, True),
            "application_poll_seconds": (float, False),
            "application_healthy_in_a_row": (int, False),
            "application_deadline_minutes": (float, False),
            "rds_poll_seconds": (float, False), "rds_deadline_minutes": (float, False)},
    "snapshot": {"name_template": (str, True)},
    "migrations": {"dir": (str, False), "forward_pattern": (str, False), "down_suffix": (str, False)},
    "gate": {"billing_globs": (list, False), "github_api_url": (str, False)},
    "notify": {"url_env": (str, False)},
}
_TIER_KEYS: dict[str, type] = {
    "kind": str,
    "production": bool,
    "account_id": str,
    "cluster": str,
    "service": str,
    "task_family": str,
    "ecr_repository": str,
    "db_instance": str,
    "db_host_secret": str,
    "dsn_env": str,
    "public_host": str,
    "health_url": str,
    "tls_verify": bool,
    "basic_auth_user_env": str,
    "basic_auth_password_env": str,
    "drill_enabled": bool,
    "aws_profile": str,
    "role_arn": str,
    "deep_health_database_path": str,
    "db_tunnel": str,
    "drill_break_env": str,
    "smoke_command": str,
    "smoke_junit_xml": str,
    "smoke_link": str,
    "smoke_source": str,
    "smoke_github_repo": str,
    "smoke_github_workflow": str,
    "smoke_github_token_env": str,
    "webhook_path": str,
    "webhook_secret_env": str,
    "webhook_processed_query": str,
}
# Allowed ranges of the [rto] numbers (the unit is in each key's name): finite, above the
# lower bound, at most the upper one. A week of minutes bounds every wait the harness makes.
_RTO_RANGES: dict[str, tuple[float, float]] = {
    "application_minutes": (0, 10080), "data_minutes": (0, 10080),
    "application_poll_seconds": (0, 3600), "application_healthy_in_a_row": (0, 100),
    "application_deadline_minutes": (0, 10080), "rds_poll_seconds": (0, 3600),
    "rds_deadline_minutes": (0, 10080)}
SMOKE_SOURCES = ("builtin", "command", "github")
GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# The processed-count query runs with the event id bound to this parameter.
EVENT_ID_PARAM = "%(event_id)s"
_WEBHOOK_KEYS = ("webhook_path", "webhook_secret_env", "webhook_processed_query")
_TIER_REQUIRED = {
    "aws": ("account_id", "cluster", "service", "task_family", "health_url", "drill_enabled"),
    "local": ("health_url", "drill_enabled"),
}
_EXAMPLE = {
    "account_id": '"123456789012"',
    "cluster": '"my-cluster"',
    "service": '"my-app-service"',
    "task_family": '"my-app"',
    "health_url": '"https://staging.example.com"',
    "drill_enabled": "false",
}


class Validator:
    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def where(self, section: str, key: str | None = None) -> str:
        line = self._line_of(section, key)
        return f"{self.source}:{line}" if line else self.source

    def _line_of(self, section: str, key: str | None) -> int | None:
        header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]\s*(#.*)?$")
        start = next((i for i, ln in enumerate(self.lines) if header.match(ln)), None)
        if start is None:
            return None
        if key is None:
            return start + 1
        assign = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start + 1, len(self.lines)):
            if self.lines[i].lstrip().startswith("["):
                break
            if assign.match(self.lines[i]):
                return i + 1
        return start + 1

    def error(self, what: str, section: str, key: str | None, fix: str) -> ConfigError:
        return ConfigError(what, where=self.where(section, key), fix=fix)

    def unknown(self, section: str, key: str, allowed: list[str]) -> ConfigError:
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
        return self.error(f"unknown key '{section}.{key}'", section, key,
                          f"remove it or correct the spelling ({hint})")

    def typed(self, section: str, key: str, value: Any, want: type) -> Any:
        if want is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise self.error(
                f"'{section}.{key}' must be a {want.__name__}, got {type(value).__name__}",
                section, key, f"write {key} as a TOML {want.__name__}")
        return value

    def section(self, raw: dict[str, Any], name: str) -> dict[str, Any]:
        spec = _SECTION_KEYS[name]
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise self.error(f"'{name}' must be a table", name, None, f"write it as [{name}]")
        out: dict[str, Any] = {}
        for key, value in table.items():
            if key not in spec:
                raise self.unknown(name, key, list(spec))
            out[key] = self.typed(name, key, value, spec[key][0])
        for key, (_, required) in spec.items():
            if required and key not in out:
                raise ConfigError(f"missing required key '{name}.{key}'", where=self.where(name),
                                  fix=f"add `{key} = ...` under [{name}]")
        return out

    def build(self, raw: dict[str, Any]) -> Topology:
        for key in raw:
            if key not in _TOP_SECTIONS:
                close = difflib.get_close_matches(key, _TOP_SECTIONS, n=1)
                hint = f"did you mean [{close[0]}]?" if close else ", ".join(_TOP_SECTIONS)
                raise ConfigError(f"unknown section or key '{key}'", where=self.where(key),
                                  fix=f"remove it ({hint})")
        top = self.section(raw, "topology")
        rto = self.section(raw, "rto")
        snap = self.section(raw, "snapshot")
        mig = self.section(raw, "migrations")
        gate = self.gate(self.section(raw, "gate"))
        notify = self.notify(self.section(raw, "notify"))
        tiers_raw = raw.get("tiers")
        if not isinstance(tiers_raw, dict) or not tiers_raw:
            raise ConfigError("no tiers defined", where=self.source,
                              fix="add at least one [tiers.<name>] table")
        tiers = {name: self.tier(name, body) for name, body in tiers_raw.items()}
        for key, (low, high) in _RTO_RANGES.items():
            if key in rto and not (math.isfinite(rto[key]) and low < rto[key] <= high):
                raise self.error(f"'rto.{key}' is {rto[key]}: it must be a finite number above "
                                 f"{low:g} and at most {high:g}", "rto", key,
                                 f"give {key} a value in that range (the unit is in its name)")
        self.snapshot_template(snap["name_template"])
        self.cross_checks(tiers)
        return Topology(
            name=top["name"], region=top["region"],
            application_rto_s=rto["application_minutes"] * 60,
            data_rto_s=rto["data_minutes"] * 60,
            snapshot_template=snap["name_template"], tiers=tiers,
            migrations=MigrationsConfig(**mig), source=self.source, gate=gate, notify=notify,
            application_poll_s=rto.get("application_poll_seconds", 5.0),
            application_healthy_in_a_row=rto.get("application_healthy_in_a_row", 3),
            application_deadline_s=(rto["application_deadline_minutes"] * 60
                                    if "application_deadline_minutes" in rto else None),
            rds_poll_s=rto.get("rds_poll_seconds", 10.0),
            rds_deadline_s=(rto["rds_deadline_minutes"] * 60
                            if "rds_deadline_minutes" in rto else None),
        )

    def snapshot_template(self, template: str) -> None:
        problem = snapshot_template_problem(template)
        if problem:
            raise self.error(f"'snapshot.name_template' {problem[0]}", "snapshot",
                             "name_template", problem[1])

    def env_names(self, section: str, values: dict[str, Any]) -> None:
        for key in ENV_NAME_KEYS:
            if key not in values:
                continue
            problem = env_name_problem(values[key])
            if problem:
                # Never echo the value: it may be the secret itself.
                raise self.error(
                    f"'{section}.{key}' must name an environment variable (its name, not its "
                    f"value); {problem}", section, key,
                    f'write e.g. {key} = "HARNESS_{section.split(".")[-1].upper()}_'
                    f'{key.removesuffix("_env").upper()}" and put the secret in that variable; '
                    "if a secret was written here, rotate it")

    def gate(self, raw: dict[str, Any]) -> GateConfig:
        globs = raw.get("billing_globs", [])
        if not all(isinstance(g, str) and g.strip() for g in globs):
            raise self.error("'gate.billing_globs' must be a list of non-empty strings", "gate",
                             "billing_globs", 'e.g. billing_globs = ["src/billing/**"]')
        api = raw.get("github_api_url", DEFAULT_GITHUB_API).rstrip("/")
        url = urlsplit(api)
        if url.scheme not in ("http", "https") or not url.hostname or not _valid_port(url):
            raise self.error("'gate.github_api_url' is not an http(s) URL", "gate",
                             "github_api_url", f'e.g. github_api_url = "{DEFAULT_GITHUB_API}"')
        return GateConfig(billing_globs=tuple(globs), github_api_url=api)

    def notify(self, raw: dict[str, Any]) -> NotifyConfig:
        name = raw.get("url_env")
        if name is not None and not ENV_NAME.match(name):
            raise self.error("'notify.url_env' must name an environment variable", "notify",
                             "url_env", 'e.g. url_env = "HARNESS_NOTIFY_URL" (the name, never '
                             "the URL: it carries a token)")
        return NotifyConfig(url_env=name)

    def tier(self, name: str, body: Any) -> Tier:
        section = f"tiers.{name}"
        if not isinstance(body, dict):
            raise self.error(f"'{section}' must be a table", section, None,
                             f"write it as [{section}]")
        values: dict[str, Any] = {}
        for key, value in body.items():
            if key not in _TIER_KEYS:
                raise self.unknown(section, key, list(_TIER_KEYS))
            values[key] = self.typed(section, key, value, _TIER_KEYS[key])
        kind = values.setdefault("kind", "aws")
        if kind not in _TIER_REQUIRED:
            raise self.error(f"'{section}.kind' must be 'aws' or 'local', got '{kind}'",
                             section, "kind", 'write kind = "aws" (ECS) or kind = "local"')
        for key in _TIER_REQUIRED[kind]:
            if key not in values:
                raise ConfigError(
                    f"missing required key '{section}.{key}' (a {kind} tier needs it)",
                    where=self.where(section),
                    fix=f"add `{key} = {_EXAMPLE.get(key, '...')}` under [{section}]")
        account = values.get("account_id")
        if account is not None and not ACCOUNT_ID.match(account):
            raise self.error(
                f"'{section}.account_id' is '{account}', not a 12-digit AWS account id",
                section, "account_id", 'write the account id as a quoted 12-digit string')
        self.credentials(section, values, account)
        url = urlsplit(values["health_url"])
        if url.scheme not in ("http", "https") or not url.hostname or not _valid_port(url):
            raise self.error(f"'{section}.health_url' is not an http(s) URL", section,
                             "health_url", 'e.g. health_url = "https://staging.example.com"')
        values.setdefault("production", name == "prod")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", values.get("drill_break_env", "X=1")):
            raise self.error(f"'{section}.drill_break_env' must be NAME=VALUE", section,
                             "drill_break_env", 'e.g. drill_break_env = "HARNESS_DRILL_BREAK=1"')
        self.env_names(section, values)
        self.gate_keys(section, values)
        if values["production"] and values["drill_enabled"]:
            raise self.error(
                f"'{section}.drill_enabled' is true on a production tier", section,
                "drill_enabled", "drills never run on production: set drill_enabled = false")
        if kind == "local" and account is not None:
            raise self.error(f"'{section}' is a local tier but names an AWS account", section,
                             "account_id", "remove account_id, or make it kind = \"aws\"")
        return Tier(name=name, **values)

    def credentials(self, section: str, values: dict[str, Any], account: str | None) -> None:
        role = values.get("role_arn")
        if role is not None:
            found = ROLE_ARN.match(role)
            if not found:
                raise self.error(f"'{section}.role_arn' is not an IAM role ARN", section,
                                 "role_arn", 'e.g. role_arn = "arn:aws:iam::123456789012:role/harness"')
            if account is not None and found["account"] != account:
                raise self.error(
                    f"'{section}.role_arn' is a role in account {found['account']}, but the tier "
                    f"lives in account {account}", section, "role_arn",
                    f"use a role in account {account} (the tier's own), or correct account_id")
        path = values.get("deep_health_database_path")
        if path is not None and not JSON_PATH.match(path):
            raise self.error(f"'{section}.deep_health_database_path' is not a dotted JSON path",
                             section, "deep_health_database_path",
                             'e.g. deep_health_database_path = "database.host"')
        tunnel = values.get("db_tunnel")
        if tunnel is not None:
            self.tunnel(section, tunnel)

    def tunnel(self, section: str, template: str) -> None:
        for needed in ("host", "local_port"):
            if "{" + needed + "}" not in template:
                raise self.error(f"'{section}.db_tunnel' never says {{{needed}}}", section,
                                 "db_tunnel", "the harness fills in the database's {host} (and "
                                 "{port}) and the {local_port} it connects to")

    def gate_keys(self, section: str, values: dict[str, Any]) -> None:
        source = values.get("smoke_source")
        if source is not None and source not in SMOKE_SOURCES:
            raise self.error(f"'{section}.smoke_source' is '{source}'", section, "smoke_source",
                             f"use one of: {', '.join(SMOKE_SOURCES)}")
        if source == "command" and "smoke_command" not in values:
            raise ConfigError(f"missing '{section}.smoke_command' (smoke_source is command)",
                              where=self.where(section, "smoke_source"),
                              fix=f"add `smoke_command = \"...\"` under [{section}]")
        if source in ("builtin", "github") and "smoke_command" in values:
            raise self.error(f"'{section}' sets smoke_command but smoke_source is {source}",
                             section, "smoke_source",
                             'remove one of them (smoke_source = "command" runs the command)')
        if source == "github":
            for key, example in (("smoke_github_repo", '"owner/app"'),
                                 ("smoke_github_workflow", '"smoke-suite.yml"')):
                if key not in values:
                    raise ConfigError(f"missing '{section}.{key}' (smoke_source is github)",
                                      where=self.where(section),
                                      fix=f"add `{key} = {example}` under [{section}]")
            if not GITHUB_REPO.match(values["smoke_github_repo"]):
                raise self.error(f"'{section}.smoke_github_repo' must be owner/name", section,
                                 "smoke_github_repo", 'e.g. smoke_github_repo = "owner/app"')
        given = [k for k in _WEBHOOK_KEYS if k in values]
        if given and len(given) != len(_WEBHOOK_KEYS):
            missing = next(k for k in _WEBHOOK_KEYS if k not in values)
            raise ConfigError(f"missing '{section}.{missing}': the webhook keys go together",
                              where=self.where(section, given[0]),
                              fix=f"set all of {', '.join(_WEBHOOK_KEYS)} (or none)")
        if given:
            if not values["webhook_path"].startswith("/"):
                raise self.error(f"'{section}.webhook_path' must start with /", section,
                                 "webhook_path", 'e.g. webhook_path = "/api/webhooks/stripe"')
            query = values["webhook_processed_query"]
            if not query.lstrip().lower().startswith("select") or EVENT_ID_PARAM not in query:
                raise self.error(
                    f"'{section}.webhook_processed_query' must be a SELECT using {EVENT_ID_PARAM}",
                    section, "webhook_processed_query",
                    "e.g. \"SELECT count(*) FROM processed_events WHERE event_id = %(event_id)s\"")

    def cross_checks(self, tiers: dict[str, Tier]) -> None:
        prods = [t for t in tiers.values() if t.production]
        if len(prods) > 1:
            raise ConfigError(f"more than one production tier: {', '.join(t.name for t in prods)}",
                              where=self.source, fix="mark exactly one tier as production")
        for field in ("account_id", "cluster"):
            seen: dict[str, str] = {}
            for tier in tiers.values():
                value = getattr(tier, field)
                if value is None:
                    continue
                if value in seen:
                    raise self.error(
                        f"tiers '{seen[value]}' and '{tier.name}' share {field} '{value}'",
                        f"tiers.{tier.name}", field,
                        f"each tier needs its own {field}; tiers must stay isolated")
                seen[value] = tier.name
        prod = prods[0] if prods else None
        if prod is None:
            return
        prod_names = set(prod.resource_names().values())
        for tier in tiers.values():
            if tier is prod:
                continue
            for field, value in tier.resource_names().items():
                if value in prod_names:
                    key = "health_url" if field == "health_url host" else field
                    raise self.error(
                        f"'tiers.{tier.name}.{key}' points at production: {field} '{value}' "
                        f"belongs to tier '{prod.name}'", f"tiers.{tier.name}", key,
                        f"give '{tier.name}' its own resources; it must never resolve to prod")


def _valid_port(url: SplitResult) -> bool:
    try:
        url.port  # noqa: B018 (reading it validates it: 0-65535)
    except ValueError:
        return False
    return True
