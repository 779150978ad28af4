"""Tiers, accounts, resource names, URLs and RTO targets, read from a TOML file.

The bundled default (``topologies/runbook.toml``) is the runbook's naming reality: prod is
the stack named ``invapp-dev-*``. Validation is strict: an unknown key, a missing field, a
malformed account id, two tiers sharing an account or a cluster, or a drill-enabled prod is
an error naming the file, the line, the key and the fix.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.errors import ConfigError

BUNDLED_NAME = "runbook.toml"
ACCOUNT_ID = re.compile(r"^\d{12}$")

# Allowed keys per section: key -> (type, required). Required-ness of tier keys depends on
# the tier kind, see _TIER_REQUIRED.
_TOP_SECTIONS = ("topology", "rto", "snapshot", "migrations", "tiers")
_SECTION_KEYS: dict[str, dict[str, tuple[type, bool]]] = {
    "topology": {"name": (str, True), "region": (str, True)},
    "rto": {"application_minutes": (float, True), "data_minutes": (float, True),
            "application_poll_seconds": (float, False),
            "application_healthy_in_a_row": (int, False),
            "application_deadline_minutes": (float, False)},
    "snapshot": {"name_template": (str, True)},
    "migrations": {"dir": (str, False), "forward_pattern": (str, False), "down_suffix": (str, False)},
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
    "drill_break_env": str,
    "smoke_command": str,
    "smoke_junit_xml": str,
    "smoke_link": str,
}
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


@dataclass(frozen=True)
class Tier:
    name: str
    kind: str  # "aws" | "local"
    production: bool
    health_url: str
    drill_enabled: bool
    tls_verify: bool = True
    account_id: str | None = None
    cluster: str | None = None
    service: str | None = None
    task_family: str | None = None
    ecr_repository: str | None = None
    db_instance: str | None = None
    db_host_secret: str | None = None
    dsn_env: str | None = None
    public_host: str | None = None
    basic_auth_user_env: str | None = None
    basic_auth_password_env: str | None = None
    aws_profile: str | None = None
    role_arn: str | None = None
    # NAME=VALUE set in a copy of the running task definition to break it on purpose (drill
    # step 1); the application answers its deep health non-ok while it is set.
    drill_break_env: str = "HARNESS_DRILL_BREAK=1"
    # Smoke gate source: a command (exit code + JUnit XML) or, unset, the built-in deep health
    # + version check.
    smoke_command: str | None = None
    smoke_junit_xml: str | None = None
    smoke_link: str | None = None

    @property
    def drill_break(self) -> tuple[str, str]:
        name, _, value = self.drill_break_env.partition("=")
        return name, value

    @property
    def is_aws(self) -> bool:
        return self.kind == "aws"

    @property
    def secret_env_names(self) -> tuple[str, ...]:
        names = (self.basic_auth_password_env, self.dsn_env)
        return tuple(n for n in names if n)

    def resource_names(self) -> dict[str, str]:
        """Every AWS resource name or host this tier refers to, by field."""
        fields = ("account_id", "cluster", "service", "task_family", "ecr_repository",
                  "db_instance", "db_host_secret", "public_host")
        names = {f: getattr(self, f) for f in fields if getattr(self, f)}
        host = urlsplit(self.health_url).hostname
        if host:
            names["health_url host"] = host
        return names


@dataclass(frozen=True)
class MigrationsConfig:
    dir: str = "migrations"
    forward_pattern: str = r"^(?P<timestamp>\d{14})_(?P<slug>[a-z0-9_]+)\.sql$"
    down_suffix: str = ".down.sql"


@dataclass(frozen=True)
class Topology:
    name: str
    region: str
    application_rto_s: float
    data_rto_s: float
    snapshot_template: str
    tiers: dict[str, Tier]
    migrations: MigrationsConfig
    source: str
    # Layer-1 recovery: poll interval (the measurement's resolution), OKs in a row that count
    # as recovered, and when to stop waiting (default: the application RTO target).
    application_poll_s: float = 5.0
    application_healthy_in_a_row: int = 3
    application_deadline_s: float | None = None

    @property
    def application_deadline(self) -> float:
        return self.application_deadline_s or self.application_rto_s

    def tier(self, name: str) -> Tier:
        try:
            return self.tiers[name]
        except KeyError:
            raise ConfigError(
                f"no tier named '{name}'", where=self.source,
                fix=f"use one of: {', '.join(self.tiers)}",
            ) from None

    @property
    def prod(self) -> Tier | None:
        return next((t for t in self.tiers.values() if t.production), None)

    @property
    def secret_env_names(self) -> tuple[str, ...]:
        return tuple(n for t in self.tiers.values() for n in t.secret_env_names)


def bundled_path() -> Path:
    return Path(str(resources.files("harness").joinpath(f"topologies/{BUNDLED_NAME}")))


def load(path: str | Path | None = None) -> Topology:
    """Load and validate a topology file (default: the bundled runbook topology)."""
    file = Path(path) if path else bundled_path()
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read topology file: {exc.strerror}", where=source,
                          fix="pass an existing TOML file, or omit it to use the bundled one") from exc
    return parse(text, source)


def parse(text: str, source: str = "<topology>") -> Topology:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=source,
                          fix="fix the syntax at the line shown") from exc
    return _Validator(text, source).build(raw)


class _Validator:
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
        tiers_raw = raw.get("tiers")
        if not isinstance(tiers_raw, dict) or not tiers_raw:
            raise ConfigError("no tiers defined", where=self.source,
                              fix="add at least one [tiers.<name>] table")
        tiers = {name: self.tier(name, body) for name, body in tiers_raw.items()}
        for key in ("application_minutes", "data_minutes", "application_poll_seconds",
                    "application_healthy_in_a_row", "application_deadline_minutes"):
            if key in rto and rto[key] <= 0:
                raise self.error(f"'rto.{key}' must be positive", "rto", key,
                                 f"give {key} a value above 0 (the unit is in its name)")
        if "{cycle}" not in snap["name_template"] or "{timestamp}" not in snap["name_template"]:
            raise self.error("'snapshot.name_template' must contain {timestamp} and {cycle}",
                             "snapshot", "name_template",
                             'e.g. "invapp-dev-rds-{timestamp}-pre-promote-{cycle}"')
        self.cross_checks(tiers)
        return Topology(
            name=top["name"], region=top["region"],
            application_rto_s=rto["application_minutes"] * 60,
            data_rto_s=rto["data_minutes"] * 60,
            snapshot_template=snap["name_template"], tiers=tiers,
            migrations=MigrationsConfig(**mig), source=self.source,
            application_poll_s=rto.get("application_poll_seconds", 5.0),
            application_healthy_in_a_row=rto.get("application_healthy_in_a_row", 3),
            application_deadline_s=(rto["application_deadline_minutes"] * 60
                                    if "application_deadline_minutes" in rto else None),
        )

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
        url = urlsplit(values["health_url"])
        if url.scheme not in ("http", "https") or not url.hostname:
            raise self.error(f"'{section}.health_url' is not an http(s) URL", section,
                             "health_url", 'e.g. health_url = "https://staging.example.com"')
        values.setdefault("production", name == "prod")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", values.get("drill_break_env", "X=1")):
            raise self.error(f"'{section}.drill_break_env' must be NAME=VALUE", section,
                             "drill_break_env", 'e.g. drill_break_env = "HARNESS_DRILL_BREAK=1"')
        if values["production"] and values["drill_enabled"]:
            raise self.error(
                f"'{section}.drill_enabled' is true on a production tier", section,
                "drill_enabled", "drills never run on production: set drill_enabled = false")
        if kind == "local" and account is not None:
            raise self.error(f"'{section}' is a local tier but names an AWS account", section,
                             "account_id", "remove account_id, or make it kind = \"aws\"")
        return Tier(name=name, **values)

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
