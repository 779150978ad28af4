"""The tier guard: pure decisions over a tier and the caller's account."""

from __future__ import annotations

import pytest

from harness import guard, topology
from harness.errors import GuardRefusal

TOP = topology.load()
PROD, STAGING, DEV = TOP.tier("prod"), TOP.tier("staging"), TOP.tier("dev")


def test_drill_allowed_on_staging_and_dev() -> None:
    guard.check_drill_target(STAGING)
    guard.check_drill_target(DEV)


def test_drill_on_prod_refused_naming_the_stack() -> None:
    with pytest.raises(GuardRefusal) as caught:
        guard.check_drill_target(PROD)
    assert "production" in str(caught.value) and "invapp-dev-cluster" in str(caught.value)


def test_write_with_the_other_accounts_credentials_names_both_accounts() -> None:
    with pytest.raises(GuardRefusal) as caught:
        guard.check_write(PROD, STAGING.account_id or "", allow_prod=True)
    assert "961381384763" in str(caught.value) and "760007728097" in str(caught.value)


def test_prod_write_needs_the_flag() -> None:
    with pytest.raises(GuardRefusal, match="explicit flag"):
        guard.check_write(PROD, "760007728097")
    guard.check_write(PROD, "760007728097", allow_prod=True)


def test_staging_write_with_staging_credentials_is_allowed() -> None:
    guard.check_write(STAGING, "961381384763")


def test_write_to_a_local_tier_is_refused() -> None:
    with pytest.raises(GuardRefusal, match="local tier"):
        guard.check_write(DEV, "961381384763")
