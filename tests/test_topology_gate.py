"""The promotion gate's topology keys: smoke source, billing globs, webhook settings."""

from __future__ import annotations

import pytest

from harness import topology
from harness.errors import ConfigError

BUNDLED = topology.bundled_path().read_text(encoding="utf-8")
STAGING_AUTH = 'basic_auth_password_env = "HARNESS_STAGING_BASIC_AUTH_PASSWORD"\n'


def parse_with(extra: str, after: str = STAGING_AUTH) -> topology.Topology:
    assert after in BUNDLED
    return topology.parse(BUNDLED.replace(after, after + extra, 1), "mine.toml")


def error_with(extra: str, after: str = STAGING_AUTH) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_with(extra, after)
    return str(caught.value)


def test_bundled_gate_settings() -> None:
    top = topology.load()
    staging = top.tier("staging")
    assert staging.smoke_source is None and staging.smoke_kind == "builtin"
    assert staging.webhook_path == "/api/webhooks/stripe" and staging.has_webhook
    assert "%(event_id)s" in (staging.webhook_processed_query or "")
    assert "HARNESS_STAGING_STRIPE_WEBHOOK_SECRET" in top.secret_env_names
    assert "**/billing/**" in top.gate.billing_globs
    assert top.gate.github_api_url == "https://api.github.com"
    assert not top.tier("prod").has_webhook


def test_github_smoke_source_needs_repo_and_workflow() -> None:
    msg = error_with('smoke_source = "github"\n')
    assert "tiers.staging.smoke_github_repo" in msg and "smoke_source is github" in msg
    top = parse_with('smoke_source = "github"\nsmoke_github_repo = "acme/app"\n'
                     'smoke_github_workflow = "smoke-suite.yml"\n'
                     'smoke_github_token_env = "SMOKE_TOKEN"\n')
    staging = top.tier("staging")
    assert (staging.smoke_github_repo, staging.smoke_github_workflow) == ("acme/app", "smoke-suite.yml")
    assert "SMOKE_TOKEN" in top.secret_env_names


def test_bad_smoke_source_and_repo() -> None:
    assert "use one of: builtin, command, github" in error_with('smoke_source = "jenkins"\n')
    msg = error_with('smoke_source = "github"\nsmoke_github_repo = "app"\n'
                     'smoke_github_workflow = "s.yml"\n')
    assert "owner/name" in msg and "mine.toml:" in msg


def test_command_source_needs_a_command_and_builtin_refuses_one() -> None:
    assert "smoke_source is command" in error_with('smoke_source = "command"\n')
    msg = error_with('smoke_source = "builtin"\nsmoke_command = "npm run smoke"\n')
    assert "sets smoke_command but smoke_source is builtin" in msg
    top = parse_with('smoke_command = "npm run smoke"\n')
    assert top.tier("staging").smoke_kind == "command"


def test_token_env_must_be_a_name_not_a_value() -> None:
    msg = error_with('smoke_github_token_env = "ghp_abc-123"\n')
    assert "must name an environment variable" in msg and "ghp_abc-123" not in msg


def test_webhook_keys_go_together() -> None:
    without_query = BUNDLED.replace(
        'webhook_processed_query = "SELECT count(*) FROM billing_events WHERE stripe_event_id '
        '= %(event_id)s"\n', "")
    assert without_query != BUNDLED
    with pytest.raises(ConfigError) as caught:
        topology.parse(without_query, "mine.toml")
    assert "webhook_processed_query" in str(caught.value) and "go together" in str(caught.value)


def test_webhook_query_must_bind_the_event_id() -> None:
    changed = BUNDLED.replace("stripe_event_id = %(event_id)s", "stripe_event_id = 'x'")
    with pytest.raises(ConfigError) as caught:
        topology.parse(changed, "mine.toml")
    assert "%(event_id)s" in str(caught.value)


def test_billing_globs_must_be_strings() -> None:
    changed = BUNDLED.replace('billing_globs = ["**/billing/**"', 'billing_globs = [3, "**/billing/**"')
    with pytest.raises(ConfigError) as caught:
        topology.parse(changed, "mine.toml")
    assert "gate.billing_globs" in str(caught.value)


def test_github_api_url_is_validated() -> None:
    changed = BUNDLED.replace("[gate]\n", '[gate]\ngithub_api_url = "api.github.com"\n')
    with pytest.raises(ConfigError) as caught:
        topology.parse(changed, "mine.toml")
    assert "gate.github_api_url" in str(caught.value)
