"""Topology loading and every invalid-file case: the message names file:line, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import topology
from harness.errors import ConfigError

BUNDLED = topology.bundled_path().read_text(encoding="utf-8")


def parse_changed(old: str, new: str) -> topology.Topology:
    assert old in BUNDLED, f"test fixture drifted: {old!r} not in the bundled topology"
    return topology.parse(BUNDLED.replace(old, new, 1), "mine.toml")


def error_of(old: str, new: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_changed(old, new)
    return str(caught.value)


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_bundled_topology_encodes_the_naming_reality() -> None:
    top = topology.load()
    prod, staging, dev = top.tier("prod"), top.tier("staging"), top.tier("dev")
    assert prod.production and not prod.drill_enabled and prod.account_id == "760007728097"
    assert (prod.cluster, prod.service, prod.task_family, prod.db_instance) == (
        "invapp-dev-cluster", "invapp-dev-app-service", "invapp-dev-app", "invapp-dev-postgres")
    assert prod.public_host == "app.nquiry.ai" and not prod.tls_verify
    assert "invapp-dev-alb" in prod.health_url
    assert staging.account_id == "961381384763" and staging.drill_enabled
    assert staging.basic_auth_password_env and staging.public_host == "staging.nquiry.ai"
    assert dev.kind == "local" and dev.drill_enabled and dev.account_id is None
    assert top.application_rto_s == 900 and top.data_rto_s == 3600
    assert top.snapshot_template == "invapp-dev-rds-{timestamp}-pre-promote-{cycle}"
    assert top.region == "us-east-1"


def test_unknown_key_names_file_line_key_and_suggests_the_fix() -> None:
    msg = error_of('cluster = "invapp-staging-cluster"', 'clustr = "invapp-staging-cluster"')
    changed = BUNDLED.replace('cluster = "invapp-staging-cluster"', 'clustr = "x"')
    assert f"mine.toml:{line_of(changed, 'clustr')}" in msg
    assert "tiers.staging.clustr" in msg and "did you mean 'cluster'" in msg


def test_unknown_section() -> None:
    msg = error_of("[rto]", "[rtos]")
    assert "'rtos'" in msg and "did you mean [rto]" in msg


def test_missing_field_names_the_key_and_the_table() -> None:
    msg = error_of('service = "invapp-staging-app-service"\n', "")
    assert "tiers.staging.service" in msg and "[tiers.staging]" in msg
    assert f"mine.toml:{line_of(BUNDLED, '[tiers.staging]')}" in msg


def test_missing_top_level_key() -> None:
    msg = error_of('region = "us-east-1"\n', "")
    assert "topology.region" in msg


@pytest.mark.parametrize("bad", ["96138138476", "9613813847634", "96138138476x"])
def test_malformed_account_id(bad: str) -> None:
    msg = error_of('account_id = "961381384763"', f'account_id = "{bad}"')
    assert "tiers.staging.account_id" in msg and bad in msg and "12-digit" in msg


def test_account_id_must_be_a_string() -> None:
    msg = error_of('account_id = "961381384763"', "account_id = 961381384763")
    assert "tiers.staging.account_id" in msg and "must be a str" in msg


def test_two_tiers_sharing_an_account() -> None:
    msg = error_of('account_id = "961381384763"', 'account_id = "760007728097"')
    assert "share account_id '760007728097'" in msg and "'prod'" in msg and "'staging'" in msg
    assert "account_id" in msg


def test_two_tiers_sharing_a_cluster() -> None:
    msg = error_of('cluster = "invapp-staging-cluster"', 'cluster = "invapp-dev-cluster"')
    assert "share cluster 'invapp-dev-cluster'" in msg


def test_drill_enabled_prod_is_rejected() -> None:
    text = BUNDLED.replace("drill_enabled = false", "drill_enabled = true", 1)
    with pytest.raises(ConfigError) as caught:
        topology.parse(text, "mine.toml")
    msg = str(caught.value)
    assert "tiers.prod.drill_enabled" in msg and "production" in msg
    assert f"mine.toml:{line_of(text, 'drill_enabled = true')}" in msg


def test_non_prod_tier_pointing_at_a_prod_resource_is_rejected() -> None:
    msg = error_of('health_url = "http://localhost:3000"',
                   'health_url = "https://app.nquiry.ai"')
    assert "tiers.dev.health_url" in msg and "points at production" in msg


def test_toml_syntax_error_names_the_file() -> None:
    with pytest.raises(ConfigError) as caught:
        topology.parse("[topology\nname = 1", "broken.toml")
    assert "broken.toml" in str(caught.value) and "line 1" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        topology.load(tmp_path / "nope.toml")
    assert "nope.toml" in str(caught.value)


def test_unknown_tier_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        topology.load().tier("qa")
    assert "'qa'" in str(caught.value) and "prod, staging, dev" in str(caught.value)
