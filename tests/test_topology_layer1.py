"""Topology keys for Layer-1: recovery polling, the drill's break marker, the smoke source."""

from __future__ import annotations

import pytest

from harness import topology
from tests.test_topology import error_of, parse_changed


def test_bundled_recovery_settings_and_break_marker() -> None:
    top = topology.load()
    assert (top.application_poll_s, top.application_healthy_in_a_row) == (5.0, 3)
    assert top.application_deadline == top.application_rto_s == 900
    assert top.tier("staging").drill_break == ("HARNESS_DRILL_BREAK", "1")
    assert top.tier("staging").smoke_command is None


def test_deadline_and_smoke_command_are_read() -> None:
    top = parse_changed("application_healthy_in_a_row = 3",
                        "application_healthy_in_a_row = 2\napplication_deadline_minutes = 20")
    assert top.application_healthy_in_a_row == 2 and top.application_deadline == 1200
    top = parse_changed('drill_break_env = "HARNESS_DRILL_BREAK=1"',
                        'drill_break_env = "BREAK_ME=yes"\nsmoke_command = "npm run smoke"\n'
                        'smoke_junit_xml = "smoke.xml"')
    staging = top.tier("staging")
    assert staging.drill_break == ("BREAK_ME", "yes") and staging.smoke_command == "npm run smoke"


@pytest.mark.parametrize(("old", "new", "key"), [
    ("application_poll_seconds = 5", "application_poll_seconds = 0", "rto.application_poll_seconds"),
    ("application_healthy_in_a_row = 3", "application_healthy_in_a_row = 0",
     "rto.application_healthy_in_a_row"),
    ("application_healthy_in_a_row = 3", "application_healthy_in_a_row = true",
     "rto.application_healthy_in_a_row"),
    ('drill_break_env = "HARNESS_DRILL_BREAK=1"', 'drill_break_env = "no equals sign"',
     "tiers.staging.drill_break_env"),
])
def test_invalid_values_name_the_key(old: str, new: str, key: str) -> None:
    assert key in error_of(old, new)
