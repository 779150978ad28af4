"""The topology as data: tiers (accounts, resource names, URLs, secrets by env-var name), RTO
targets, poll profile, snapshot naming, migrations and gate settings."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.errors import ConfigError


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
    # Where the application's deep-health body says which database host it uses (a dotted
    # JSON path, e.g. "database.host"); when set, a repoint is recovered only once deep health
    # reports the restored endpoint there.
    deep_health_database_path: str | None = None
    # A command that forwards a local port to the tier's database or a restored instance (e.g.
    # an SSM port-forwarding session), with {host}, {port} and {local_port}; the harness starts
    # it for each endpoint it needs and stops it at the end.
    db_tunnel: str | None = None
    # NAME=VALUE set in a copy of the running task definition to break it on purpose (drill
    # step 1); the application answers its deep health non-ok while it is set.
    drill_break_env: str = "HARNESS_DRILL_BREAK=1"
    # Smoke gate source: a command (exit code + JUnit XML) or, unset, the built-in deep health
    # + version check.
    smoke_command: str | None = None
    smoke_junit_xml: str | None = None
    smoke_link: str | None = None

    @property
    def credentials(self) -> tuple[str | None, str | None]:
        """What a session for this tier is made from: (profile, role)."""
        return self.aws_profile, self.role_arn

    @property
    def drill_break(self) -> tuple[str, str]:
        name, _, value = self.drill_break_env.partition("=")
        return name, value
    # Where the promotion gate reads "smoke green for the validated SHA": the harness's own
    # smoke (deep health + version), a command writing JUnit XML, or a GitHub Actions workflow.
    smoke_source: str | None = None
    smoke_github_repo: str | None = None
    smoke_github_workflow: str | None = None
    smoke_github_token_env: str = "GITHUB_TOKEN"
    # The Stripe webhook the gate sends a signed test event to, the env var holding the
    # signing secret, and the query counting how often an event id was processed.
    webhook_path: str | None = None
    webhook_secret_env: str | None = None
    webhook_processed_query: str | None = None

    @property
    def smoke_kind(self) -> str:
        """The smoke source in effect: as configured, else the command when one is set."""
        return self.smoke_source or ("command" if self.smoke_command else "builtin")

    @property
    def has_webhook(self) -> bool:
        return self.webhook_path is not None

    @property
    def is_aws(self) -> bool:
        return self.kind == "aws"

    @property
    def secret_env_names(self) -> tuple[str, ...]:
        names = (self.basic_auth_password_env, self.dsn_env, self.webhook_secret_env,
                 self.smoke_github_token_env if self.smoke_kind == "github" else None)
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
    # The same default as harness.migrations.discovery (the ordering group is "version").
    forward_pattern: str = r"^(?P<version>\d{14})_(?P<slug>[A-Za-z0-9][A-Za-z0-9_-]*)\.sql$"
    down_suffix: str = ".down.sql"


DEFAULT_GITHUB_API = "https://api.github.com"


@dataclass(frozen=True)
class GateConfig:
    """Promotion-gate settings that are not per tier."""

    # Paths (git pathspec-like globs, `**` for any depth) whose change makes a cycle "touch
    # billing", so the Stripe webhook idempotency item applies.
    billing_globs: tuple[str, ...] = ()
    github_api_url: str = DEFAULT_GITHUB_API


@dataclass(frozen=True)
class NotifyConfig:
    """Where a run's verdict is posted by default: the NAME of the environment variable that
    holds the webhook URL (the URL itself carries a token, so it is a secret)."""

    url_env: str | None = None


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
    gate: GateConfig = GateConfig()
    notify: NotifyConfig = NotifyConfig()
    # RDS snapshots and restores move in minutes: poll interval (the resolution of the data
    # RTO) and when to stop waiting (default: the data RTO target).
    rds_poll_s: float = 10.0
    rds_deadline_s: float | None = None

    @property
    def application_deadline(self) -> float:
        return self.application_deadline_s or self.application_rto_s

    @property
    def rds_deadline(self) -> float:
        return self.rds_deadline_s or self.data_rto_s

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
        notify = (self.notify.url_env,) if self.notify.url_env else ()
        return tuple(n for t in self.tiers.values() for n in t.secret_env_names) + notify
