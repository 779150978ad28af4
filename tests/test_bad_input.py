"""The bad-input corpus: every command and input file given something unusable ends with the
contract's exit code, a message naming the offending file / key / flag / variable, and no
traceback. In process (``harness.cli.main.main``): none of these may start any work, so none
needs its own process; the few that need one (a real process's stderr) live elsewhere.

Each case is (id, build) where ``build(tmp)`` writes what it needs and returns
``Case(argv, env, code, names, absent)``: ``names`` must all appear in the output,
``absent`` (a planted secret, say) must not."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness import topology as topology_mod
from harness.cli.main import main
from tests.fixtures.evidence.build import gate as gate_evidence

BUNDLED = topology_mod.bundled_path().read_text(encoding="utf-8")
SECRET = "Sup3r-S3cret-planted-9f"


@dataclass
class Case:
    argv: list[str]
    code: int
    names: tuple[str, ...]
    env: dict[str, str | None] = field(default_factory=dict)
    absent: tuple[str, ...] = ()


Build = Callable[[Path], Case]
CASES: list[tuple[str, Build]] = []


def case(name: str) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        CASES.append((name, build))
        return build
    return register


def topo(tmp: Path, old: str, new: str, *, count: int = 1) -> str:
    assert old in BUNDLED, old
    path = tmp / "topology.toml"
    path.write_text(BUNDLED.replace(old, new, count), encoding="utf-8")
    return str(path)


def check_topology(old: str, new: str, *names: str, absent: tuple[str, ...] = ()) -> Build:
    return lambda tmp: Case(["topology", "check", topo(tmp, old, new)], 2,
                            ("topology.toml", *names), absent=absent)


# --- topology files ---------------------------------------------------------------------------

@case("topology-not-utf8")
def _(tmp: Path) -> Case:
    path = tmp / "t.toml"
    path.write_bytes(BUNDLED.encode().replace(b"je-vectors", b"je-\xff\xfevectors"))
    return Case(["topology", "check", str(path)], 2, ("t.toml:6", "not UTF-8"))


@case("topology-missing")
def _(tmp: Path) -> Case:
    return Case(["topology", "check", str(tmp / "nope.toml")], 2, ("nope.toml", "cannot read"))


@case("topology-is-a-directory")
def _(tmp: Path) -> Case:
    return Case(["topology", "show", str(tmp)], 2, (str(tmp), "cannot read"))


@case("topology-not-toml")
def _(tmp: Path) -> Case:
    path = tmp / "t.toml"
    path.write_text("[topology\nname = 1\n")
    return Case(["topology", "check", str(path)], 2, ("t.toml", "not valid TOML"))


CASES += [
    ("topology-unknown-section", check_topology("[gate]", "[gates]", "unknown section", "gates",
                                                "did you mean [gate]")),
    ("topology-typo-key", check_topology('cluster = "invapp-staging-cluster"',
                                         'clustr = "invapp-staging-cluster"', "tiers.staging.clustr",
                                         "did you mean 'cluster'")),
    ("topology-missing-required", check_topology('cluster = "invapp-staging-cluster"\n', "",
                                                 "tiers.staging.cluster",
                                                 "under [tiers.staging]")),
    ("topology-bad-account", check_topology('"961381384763"', '"96138138476x"',
                                            "tiers.staging.account_id", "12-digit")),
    ("topology-shared-account", check_topology('account_id = "961381384763"',
                                               'account_id = "760007728097"', "share account_id")),
    ("topology-drill-on-prod", check_topology("drill_enabled = false", "drill_enabled = true",
                                              "tiers.prod.drill_enabled")),
    ("topology-health-not-url", check_topology('health_url = "https://staging.nquiry.ai"',
                                               'health_url = "staging.nquiry.ai"',
                                               "tiers.staging.health_url")),
    ("topology-rto-nan", check_topology("application_minutes = 15", "application_minutes = nan",
                                        "rto.application_minutes", "finite")),
    ("topology-rto-inf", check_topology("data_minutes = 60", "data_minutes = inf",
                                        "rto.data_minutes", "finite")),
    ("topology-rto-negative", check_topology("data_minutes = 60", "data_minutes = -5",
                                             "rto.data_minutes")),
    ("topology-rto-huge", check_topology("application_poll_seconds = 5",
                                         "application_poll_seconds = 1e9",
                                         "rto.application_poll_seconds", "at most 3600")),
    ("topology-healthy-in-a-row-zero", check_topology("application_healthy_in_a_row = 3",
                                                      "application_healthy_in_a_row = 0",
                                                      "rto.application_healthy_in_a_row")),
    ("topology-rto-wrong-type", check_topology("data_minutes = 60", 'data_minutes = "60"',
                                               "rto.data_minutes", "must be a float")),
    ("template-unknown-placeholder", check_topology(
        '"invapp-dev-rds-{timestamp}-pre-promote-{cycle}"',
        '"invapp-dev-rds-{timestamp}-{env}-{cycle}"', "snapshot.name_template", "{env}")),
    ("template-invalid-identifier", check_topology(
        '"invapp-dev-rds-{timestamp}-pre-promote-{cycle}"', '"invapp_dev_{timestamp}_{cycle}"',
        "snapshot.name_template", "not a valid RDS identifier")),
    ("template-unbalanced", check_topology(
        '"invapp-dev-rds-{timestamp}-pre-promote-{cycle}"', '"invapp-dev-{timestamp-{cycle}"',
        "snapshot.name_template")),
    ("template-no-cycle", check_topology(
        '"invapp-dev-rds-{timestamp}-pre-promote-{cycle}"', '"invapp-dev-rds-{timestamp}"',
        "snapshot.name_template", "{cycle}")),
    ("template-digit-first", check_topology(
        '"invapp-dev-rds-{timestamp}-pre-promote-{cycle}"', '"{timestamp}-pre-promote-{cycle}"',
        "snapshot.name_template", "start with a letter")),
    ("env-field-holds-dsn", check_topology(
        'dsn_env = "HARNESS_STAGING_DSN"',
        f'dsn_env = "postgresql://app:{SECRET}@db.internal/app"', "tiers.staging.dsn_env",
        "looks like a secret", absent=(SECRET,))),
    ("env-field-holds-whsec", check_topology(
        'webhook_secret_env = "HARNESS_STAGING_STRIPE_WEBHOOK_SECRET"',
        f'webhook_secret_env = "whsec_{SECRET.replace("-", "")}"',
        "tiers.staging.webhook_secret_env", "looks like a secret",
        absent=(SECRET.replace("-", ""),))),
    ("env-field-holds-password", check_topology(
        'basic_auth_password_env = "HARNESS_STAGING_BASIC_AUTH_PASSWORD"',
        f'basic_auth_password_env = "{SECRET}!"', "tiers.staging.basic_auth_password_env",
        "not a variable name", absent=(SECRET,))),
    ("env-field-holds-token", check_topology(
        'basic_auth_user_env = "HARNESS_STAGING_BASIC_AUTH_USER"',
        'basic_auth_user_env = "ghp_AbCdEf0123456789"\nsmoke_github_token_env = "GITHUB_TOKEN"',
        "tiers.staging.basic_auth_user_env", absent=("ghp_AbCdEf0123456789",))),
    ("topology-brackets-in-key", check_topology(
        'name = "je-vectors"', 'name = "je-vectors"\n"[bold]x[/]" = 1',
        "unknown key 'topology.[bold]x[/]'")),
    ("topology-fix-keeps-brackets", check_topology(
        'service = "invapp-staging-app-service"\n', "", "add `service = ",
        "under [tiers.staging]")),
    ("topology-prod-resource", check_topology(
        'db_instance = "invapp-staging-postgres"', 'db_instance = "invapp-dev-postgres"',
        "tiers.staging.db_instance", "points at production")),
    ("topology-health-bad-port", check_topology('health_url = "https://staging.nquiry.ai"',
                                                'health_url = "https://staging.nquiry.ai:99999"',
                                                "tiers.staging.health_url")),
    ("topology-bad-kind", check_topology('kind = "local"', 'kind = "docker"',
                                         "tiers.dev.kind")),
    ("topology-bool-as-string", check_topology("tls_verify = true", 'tls_verify = "yes"',
                                               "tiers.staging.tls_verify", "must be a bool")),
    ("topology-github-api-url", check_topology(
        'billing_globs = ["**/billing/**", "**/stripe/**", "**/*billing*", "**/*stripe*"]',
        'billing_globs = ["**/billing/**"]\ngithub_api_url = "ftp://x"', "gate.github_api_url")),
    ("topology-empty-glob", check_topology(
        'billing_globs = ["**/billing/**", "**/stripe/**", "**/*billing*", "**/*stripe*"]',
        'billing_globs = [""]', "gate.billing_globs")),
]


@case("topology-show-with-a-literal-password")
def _(tmp: Path) -> Case:
    path = topo(tmp, 'basic_auth_password_env = "HARNESS_STAGING_BASIC_AUTH_PASSWORD"',
                f'basic_auth_password_env = "{SECRET}"')
    return Case(["topology", "show", path], 2, ("tiers.staging.basic_auth_password_env",),
                absent=(SECRET,))


@case("drill-with-a-bad-topology")
def _(tmp: Path) -> Case:
    path = topo(tmp, "application_minutes = 15", "application_minutes = nan")
    return Case(["drill", "--topology", path, "--reports", str(tmp / "r")], 2,
                ("rto.application_minutes",))


# --- evidence (harness report) ---------------------------------------------------------------

def run_folder(tmp: Path, content: bytes | None) -> str:
    folder = tmp / "run"
    folder.mkdir()
    if content is not None:
        (folder / "evidence.json").write_bytes(content)
    return str(folder)


def evidence(**changes: object) -> bytes:
    doc = gate_evidence()
    doc.update(changes)
    return json.dumps(doc).encode()


CASES += [
    ("report-no-folder", lambda tmp: Case(["report", str(tmp / "nope")], 2, ("nope",
                                                                             "evidence.json"))),
    ("report-no-evidence", lambda tmp: Case(["report", run_folder(tmp, None)], 2,
                                            ("no evidence.json",))),
    ("report-not-utf8", lambda tmp: Case(["report", run_folder(tmp, b'{"a": "\xff"}')], 2,
                                         ("evidence.json", "not UTF-8"))),
    ("report-truncated", lambda tmp: Case(["report", run_folder(tmp, evidence()[:300])], 2,
                                          ("evidence.json", "not valid JSON", "truncated"))),
    ("report-not-an-object", lambda tmp: Case(["report", run_folder(tmp, b"[1, 2]")], 2,
                                              ("evidence.json", "schema_version"))),
    ("report-future-schema", lambda tmp: Case(["report", run_folder(tmp, evidence(
        schema_version=99))], 2, ("evidence.json", "schema_version 99"))),
    ("report-schema-violation", lambda tmp: Case(["report", run_folder(tmp, evidence(
        verdict="green"))], 2, ("evidence.json", "verdict", "does not match its schema"))),
]


@case("report-evidence-is-a-directory")
def _(tmp: Path) -> Case:
    folder = Path(run_folder(tmp, None))
    (folder / "evidence.json").mkdir()
    return Case(["report", str(folder)], 2, ("evidence.json",))


# --- drill history ----------------------------------------------------------------------------

ROW = {"date": "2026-11-27T08:00:00.000Z", "run_id": "r1", "backend": "sim", "simulated": True,
       "tier": "staging", "verdict": "pass",
       "rto": {"application RTO": {"seconds": 2.3, "target_seconds": 900.0, "met": True},
               "data RTO": None}}


def history(tmp: Path, *lines: bytes) -> str:
    (tmp / "history.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return str(tmp)


def row(**changes: object) -> bytes:
    data = {**ROW, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()


# A damaged history line is skipped with a warning naming it (the rest of the trend still
# shows, exit 0): a torn last line is what a killed run leaves, and must not hide the others.
CASES += [
    ("history-missing-field", lambda tmp: Case(["history", "--reports", history(
        tmp, row(), row(verdict=...))], 0, ("history.jsonl:2", "no 'verdict'", "r1"))),
    ("history-not-utf8", lambda tmp: Case(["history", "--reports", history(
        tmp, row(), b'{"run_id": "\xff"}')], 0, ("history.jsonl:2", "not UTF-8", "r1"))),
    ("history-torn-line", lambda tmp: Case(["history", "--reports", history(
        tmp, row()[:40], row())], 0, ("history.jsonl:1", "not JSON", "r1"))),
    ("history-nan-seconds", lambda tmp: Case(["history", "--reports", history(
        tmp, row(rto={"application RTO": {"seconds": float("nan"), "target_seconds": 900.0,
                                          "met": True}}))], 0,
        ("history.jsonl:1", "application RTO", "finite"))),
    ("history-array-line", lambda tmp: Case(["history", "--reports", history(tmp, b"[1, 2]")],
                                            0, ("history.jsonl:1", "not a JSON object"))),
    ("history-rto-not-object", lambda tmp: Case(["history", "--reports", history(
        tmp, row(rto="fast"))], 0, ("history.jsonl:1", "'rto'"))),
    ("history-negative-last", lambda tmp: Case(["history", "--last", "-3"], 2, ("--last",))),
    ("history-last-not-number", lambda tmp: Case(["history", "--last", "x"], 2, ("--last",))),
]


# --- migrations -----------------------------------------------------------------------------

def migrations(tmp: Path, files: dict[str, bytes]) -> str:
    folder = tmp / "migrations"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return str(folder)


CASES += [
    ("lint-empty-directory", lambda tmp: Case(["migrations", "lint", migrations(tmp, {})], 2,
                                              ("migrations", "holds no .sql file"))),
    ("lint-missing-directory", lambda tmp: Case(["migrations", "lint", str(tmp / "nope")], 2,
                                                ("nope",))),
    ("lint-not-utf8", lambda tmp: Case(["migrations", "lint", migrations(tmp, {
        "20260101000000_a.sql": b"CREATE TABLE \xff (id int);",
        "20260101000000_a.down.sql": b"DROP TABLE x;"})], 2, ("20260101000000_a.sql", "UTF-8"))),
    ("lint-bad-pattern", lambda tmp: Case(["migrations", "lint", migrations(tmp, {}),
                                           "--forward-pattern", "(unclosed"], 2,
                                          ("forward",))),
    ("lint-pattern-without-version", lambda tmp: Case(
        ["migrations", "lint", migrations(tmp, {}), "--forward-pattern", r"^\d+\.sql$"], 2,
        ("version",))),
    ("lint-bad-topology", lambda tmp: Case(
        ["migrations", "lint", migrations(tmp, {}), "--topology", str(tmp / "nope.toml")], 2,
        ("nope.toml",))),
    ("roundtrip-unreachable-dsn", lambda tmp: Case(
        ["migrations", "roundtrip", migrations(tmp, {
            "20260101000000_a.sql": b"CREATE TABLE a (id int);",
            "20260101000000_a.down.sql": b"DROP TABLE a;"}),
         "--dsn", f"postgresql://app:{SECRET}@127.0.0.1:1/app"], 2,
        ("cannot connect to PostgreSQL", "127.0.0.1"), absent=(SECRET,))),
    ("schema-diff-unreachable", lambda tmp: Case(
        ["schema", "diff", f"postgresql://app:{SECRET}@127.0.0.1:1/a",
         "postgresql://app@127.0.0.1:1/b"], 2, ("cannot connect",), absent=(SECRET,))),
    ("schema-diff-not-a-dsn", lambda tmp: Case(["schema", "diff", "not a dsn", "x=y"], 2,
                                               ("not a dsn", "cannot read the connection"))),
]


# --- workflows ------------------------------------------------------------------------------

def workflows(tmp: Path, content: bytes) -> str:
    folder = tmp / "wf"
    folder.mkdir()
    for name in ("promote-to-prod.yml", "rollback-prod.yml", "ci.yml"):
        (folder / name).write_bytes(b"name: x\non: push\njobs: {}\n")
    (folder / "ci.yml").write_bytes(content)
    return str(folder)


CASES += [
    ("workflows-missing-dir", lambda tmp: Case(["workflows", "check", str(tmp / "nope")], 2,
                                               ("nope", "not a directory"))),
    ("workflows-is-a-file", lambda tmp: Case(["workflows", "check", topo(tmp, "[gate]",
                                                                         "[gate]")], 2,
                                             ("topology.toml", "not a directory"))),
    ("workflows-not-utf8", lambda tmp: Case(["workflows", "check", workflows(
        tmp, b"name: \xff\xfe\n")], 2, ("ci.yml", "not UTF-8"))),
    # A workflow that is not YAML (or not a mapping) is a broken claim of the contract the
    # command checks: exit 1, the file and the reason named.
    ("workflows-bad-yaml", lambda tmp: Case(["workflows", "check", workflows(
        tmp, b"name: [unclosed\n")], 1, ("ci.yml", "not valid YAML"))),
    ("workflows-not-a-mapping", lambda tmp: Case(["workflows", "check", workflows(
        tmp, b"- a\n- b\n")], 1, ("ci.yml", "YAML mapping"))),
]


# --- command-line flags -----------------------------------------------------------------------

def flags(command: str, args: list[str], *names: str, code: int = 2) -> Build:
    """``harness COMMAND ARGS`` (with a fresh --reports where the command takes one)."""
    def build(tmp: Path) -> Case:
        reports = ["--reports", str(tmp / "reports")] if command in ("drill", "gate",
                                                                      "promote") else []
        return Case([command, *args, *reports], code, names)
    return build


CASES += [
    ("latency-nan", flags("drill", ["--sim-rollout-latency", "nan"], "--sim-rollout-latency")),
    ("latency-negative", flags("drill", ["--sim-rollout-latency", "-1"],
                               "--sim-rollout-latency")),
    ("latency-huge", flags("drill", ["--sim-rollout-latency", "1e9"], "--sim-rollout-latency")),
    ("latency-not-a-number", flags("drill", ["--sim-rollout-latency", "fast"],
                                   "--sim-rollout-latency")),
    ("fault-unknown", flags("drill", ["--sim-fault", "nope"], "unknown sim fault", "nope")),
    ("fault-gate-on-drill", flags("drill", ["--sim-fault", "gate-smoke-red"], "gate-smoke-red",
                                  "harness drill")),
    ("fault-promote-on-gate", flags("gate", ["--sim-fault", "promote-broken-build"],
                                    "promote-broken-build", "harness gate")),
    ("fault-drill-on-gate", flags("gate", ["--sim-fault", "never-recover"], "never-recover")),
    ("fault-restore-on-promote", flags("promote", ["--sim-fault", "restore-fails", "--sha",
                                                   "a" * 40, "--cycle", "c1", "--reason", "r"],
                                       "restore-fails", "harness promote")),
    ("fault-on-aws", flags("drill", ["--backend", "aws", "--sim-fault", "never-recover"],
                           "--sim-fault", "sim backend")),
    ("sha-not-hex", flags("gate", ["--sha", "not-a-sha"], "--sha", "not-a-sha")),
    ("sha-upper-case", flags("gate", ["--sha", "ABCDEF1234567"], "--sha")),
    ("sha-too-short", flags("gate", ["--sha", "abc"], "--sha")),
    ("prod-sha-not-hex", flags("gate", ["--prod-sha", "zz"], "--prod-sha")),
    ("cycle-with-newline", flags("gate", ["--cycle", "NQU-865\nverdict=pass"], "--cycle")),
    ("cycle-with-space", flags("gate", ["--cycle", "NQU 865"], "--cycle")),
    ("cycle-markup", flags("gate", ["--cycle", "[bold]x"], "--cycle '[bold]x'")),
    ("tier-unknown", flags("drill", ["--tier", "nope"], "no tier named 'nope'")),
    ("drill-on-prod", flags("drill", ["--tier", "prod"], "tier 'prod'", "production")),
    ("drill-on-local", flags("drill", ["--tier", "dev"], "tier 'dev'")),
    ("backend-unknown", flags("drill", ["--backend", "localstack"], "--backend")),
    ("take-snapshot-without-flag", flags("gate", ["--take-snapshot"], "--allow-prod-write")),
    ("gate-aws-without-sha", flags("gate", ["--backend", "aws"], "--cycle CYCLE --sha SHA")),
    ("promote-bad-sha", flags("promote", ["--sha", "xyz", "--cycle", "c1", "--reason", "r"],
                              "--sha 'xyz'")),
    ("promote-reason-newline", flags("promote", ["--sha", "a" * 40, "--cycle", "c1",
                                                 "--reason", "a\nb"], "--reason")),
    ("promote-signer-control", flags("promote", ["--sha", "a" * 40, "--cycle", "c1", "--reason",
                                                 "r", "--signed-off-by", "joe\x1b[31m"],
                                     "--signed-off-by")),
    ("promote-from-unknown-tier", flags("promote", ["--sha", "a" * 40, "--cycle", "c1",
                                                    "--reason", "r", "--from-tier", "qa"],
                                        "no tier named 'qa'")),
    ("promote-without-reason", flags("promote", ["--sha", "a" * 40], "--reason")),
    ("rollback-revision-zero", flags("rollback", ["--to-revision", "0", "--reason", "r"],
                                     "--to-revision")),
    ("rollback-revision-word", flags("rollback", ["--to-revision", "last", "--reason", "r"],
                                     "--to-revision")),
    ("rollback-empty-reason", flags("rollback", ["--reason", "  "], "--reason")),
    ("rollback-unknown-tier", flags("rollback", ["--tier", "qa", "--reason", "r"],
                                    "no tier named 'qa'")),
    ("cleanup-bad-drill-id", flags("cleanup", ["--drill-id", "a b;rm"], "--drill-id")),
    ("cleanup-on-prod", flags("cleanup", ["--tier", "prod"], "tier 'prod'")),
    ("unknown-command", flags("deploy", [], "deploy")),
]


@case("reports-is-a-file")
def _(tmp: Path) -> Case:
    (tmp / "reports").write_text("x")
    return Case(["drill", "--reports", str(tmp / "reports")], 2, ("--reports", "is a file"))


@case("reports-under-a-file")
def _(tmp: Path) -> Case:
    (tmp / "file").write_text("x")
    return Case(["gate", "--reports", str(tmp / "file" / "reports")], 2,
                ("--reports", "cannot be written"))


@case("promote-reports-is-a-file")
def _(tmp: Path) -> Case:
    (tmp / "r").write_text("x")
    return Case(["promote", "--sha", "a" * 40, "--cycle", "c1", "--reason", "r",
                 "--reports", str(tmp / "r")], 2, ("--reports", "is a file"))


# --- environment ------------------------------------------------------------------------------

NO_AWS = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None,
          "AWS_PROFILE": None, "AWS_DEFAULT_PROFILE": None, "AWS_EC2_METADATA_DISABLED": "true",
          "AWS_CONFIG_FILE": "/nonexistent/aws-config",
          "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
          "AWS_CONTAINER_CREDENTIALS_FULL_URI": None, "AWS_ENDPOINT_URL": None,
          "HARNESS_STAGING_DSN": None, "HARNESS_PROD_DSN": None}


@case("github-output-is-a-directory")
def _(tmp: Path) -> Case:
    return Case(["gate", "--reports", str(tmp / "r")], 2, ("$GITHUB_OUTPUT", str(tmp)),
                env={"GITHUB_OUTPUT": str(tmp)})


@case("github-summary-unwritable")
def _(tmp: Path) -> Case:
    (tmp / "file").write_text("x")
    where = str(tmp / "file" / "summary.md")
    return Case(["gate", "--reports", str(tmp / "r")], 2, ("$GITHUB_STEP_SUMMARY", where),
                env={"GITHUB_STEP_SUMMARY": where})


@case("sim-dsn-unreachable")
def _(tmp: Path) -> Case:
    return Case(["drill", "--reports", str(tmp / "r")], 2,
                ("$HARNESS_SIM_POSTGRES_DSN", "cannot connect"),
                env={"HARNESS_SIM_POSTGRES_DSN": f"postgresql://app:{SECRET}@127.0.0.1:1/app"},
                absent=(SECRET,))


@case("pg-scratch-not-a-folder")
def _(tmp: Path) -> Case:
    (tmp / "file").write_text("x")
    return Case(["drill", "--reports", str(tmp / "r")], 2,
                ("the preflight found 1 problem(s)", "$HARNESS_PG_SCRATCH",
                 f"{tmp / 'file'} is not a folder this user can write"),
                env={"HARNESS_PG_SCRATCH": str(tmp / "file")})


@case("aws-drill-without-credentials")
def _(tmp: Path) -> Case:
    return Case(["drill", "--backend", "aws", "--reports", str(tmp / "r")], 2,
                ("tier 'staging': no AWS credentials", "$HARNESS_STAGING_DSN",
                 "health endpoint https://staging.nquiry.ai", "$HARNESS_STAGING_BASIC_AUTH"),
                env=dict(NO_AWS))


@case("aws-gate-without-credentials")
def _(tmp: Path) -> Case:
    return Case(["gate", "--backend", "aws", "--cycle", "c1", "--sha", "a" * 40,
                 "--reports", str(tmp / "r")], 2,
                ("tier 'prod': no AWS credentials", "tier 'staging': no AWS credentials",
                 "$HARNESS_PROD_DSN"), env=dict(NO_AWS))


@case("aws-rollback-without-credentials")
def _(tmp: Path) -> Case:
    return Case(["rollback", "--backend", "aws", "--tier", "staging", "--reason", "r"], 2,
                ("tier 'staging': no AWS credentials",), env=dict(NO_AWS))


@case("aws-promote-without-credentials")
def _(tmp: Path) -> Case:
    return Case(["promote", "--backend", "aws", "--sha", "a" * 40, "--cycle", "c1", "--reason",
                 "r", "--reports", str(tmp / "r")], 2,
                ("tier 'prod': no AWS credentials", "tier 'staging': no AWS credentials"),
                env=dict(NO_AWS))


@case("cleanup-without-credentials")
def _(tmp: Path) -> Case:
    return Case(["cleanup", "--tier", "staging"], 2, ("tier 'staging': no AWS credentials",),
                env=dict(NO_AWS))


@case("aws-dsn-with-password-unreachable")
def _(tmp: Path) -> Case:
    return Case(["drill", "--backend", "aws", "--reports", str(tmp / "r")], 2,
                ("$HARNESS_STAGING_DSN", "cannot connect"),
                env={**NO_AWS, "HARNESS_STAGING_DSN": f"postgresql://app:{SECRET}@127.0.0.1:1/a"},
                absent=(SECRET,))


# --- the test ---------------------------------------------------------------------------------

def test_the_corpus_is_large_and_named_uniquely() -> None:
    names = [name for name, _ in CASES]
    assert len(names) >= 80 and len(set(names)) == len(names), len(names)


@pytest.mark.parametrize(("name", "build"), CASES, ids=[name for name, _ in CASES])
def test_bad_input_is_a_clear_error(name: str, build: Build, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    case = build(tmp_path)
    for key, value in case.env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    try:
        code = main(case.argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == case.code, text
    assert "Traceback" not in text and "internal error" not in text, text
    missing = [n for n in case.names if n not in text]
    assert not missing, f"{missing} not in:\n{text}"
    leaked = [a for a in case.absent if a in text]
    assert not leaked, text
