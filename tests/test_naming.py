"""RDS identifiers and tag values from free text: every edge case the runbook met."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from harness import naming
from harness.errors import ConfigError
from harness.evidence.journal import new_run_id

TEMPLATE = "invapp-dev-rds-{timestamp}-pre-promote-{cycle}"
AT = datetime(2026, 5, 29, 0, 37, 33, tzinfo=UTC)


def test_snapshot_identifier_follows_the_runbook_template() -> None:
    assert naming.snapshot_identifier(TEMPLATE, "NQU-865", AT) == (
        "invapp-dev-rds-20260529003733-pre-promote-nqu-865")


def test_snapshot_timestamp_is_utc_whatever_the_clock_zone() -> None:
    local = AT.astimezone(timezone(timedelta(hours=-7)))
    assert naming.snapshot_identifier(TEMPLATE, "x", local) == naming.snapshot_identifier(
        TEMPLATE, "x", AT)


@pytest.mark.parametrize(("cycle", "part"), [
    ("NQU-865 / hotfix", "nqu-865-hotfix"),
    ("--NQU__865--", "nqu-865"),
    ("NQU 865: redo (2nd try)!", "nqu-865-redo-2nd-try"),
    ("a--b", "a-b"),
    ("Ünïcode-ÆØ 7", "n-code-7"),
    ("123", "123"),
])
def test_cycle_is_sanitised_into_single_hyphens_and_lower_case(cycle: str, part: str) -> None:
    assert naming.identifier_part(cycle) == part
    name = naming.snapshot_identifier(TEMPLATE, cycle, AT)
    assert name.endswith(f"-pre-promote-{part}")
    assert "--" not in name and not name.endswith("-")


@pytest.mark.parametrize("cycle", ["", "---", "   ", "!!!", "ÄÖ"])
def test_a_cycle_with_nothing_usable_is_a_clear_error(cycle: str) -> None:
    with pytest.raises(ConfigError, match="no letter or digit"):
        naming.snapshot_identifier(TEMPLATE, cycle, AT)


def test_a_snapshot_name_over_255_characters_is_refused_naming_its_length() -> None:
    fits = 255 - len("invapp-dev-rds-20260529003733-pre-promote-")
    assert len(naming.snapshot_identifier(TEMPLATE, "a" * fits, AT)) == 255
    with pytest.raises(ConfigError, match="256 characters; RDS allows 255"):
        naming.snapshot_identifier(TEMPLATE, "a" * (fits + 1), AT)


def test_a_template_that_would_start_with_a_digit_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a valid RDS identifier"):
        naming.snapshot_identifier("{cycle}-{timestamp}", "865", AT)


def test_snapshot_pattern_finds_the_cycle_at_any_time_and_nothing_else() -> None:
    pattern = naming.snapshot_pattern(TEMPLATE, "NQU-865")
    assert pattern.match(naming.snapshot_identifier(TEMPLATE, "NQU-865", AT))
    assert pattern.match(naming.snapshot_identifier(TEMPLATE, "nqu 865", AT + timedelta(days=3)))
    assert not pattern.match(naming.snapshot_identifier(TEMPLATE, "NQU-8650", AT))
    assert not pattern.match(naming.snapshot_identifier(TEMPLATE, "NQU-86", AT))


def test_restored_instance_identifier_is_the_runbooks_and_fits_63() -> None:
    name = naming.restored_instance_identifier("invapp-dev-postgres", AT)
    assert name == "invapp-dev-postgres-restore-20260529003733"
    longest = "a" * (63 - len("-restore-20260529003733"))
    assert len(naming.restored_instance_identifier(longest, AT)) == 63
    with pytest.raises(ConfigError, match="64 characters; RDS allows 63"):
        naming.restored_instance_identifier(longest + "b", AT)


def test_drill_ids_are_valid_in_identifiers_and_tags() -> None:
    drill = new_run_id("drill", AT)  # a drill's id is its run id
    assert naming.tag_value(drill) == drill
    snap = naming.drill_snapshot_identifier("invapp-staging-postgres", drill)
    assert snap.startswith("invapp-staging-postgres-drill-20260529t003733z-drill-")
    assert naming.check_identifier(snap, max_len=naming.SNAPSHOT_ID_MAX, what="snapshot") == snap


@pytest.mark.parametrize(("text", "value"), [
    ("NQU-865: promote 1a2b3c @joe", "NQU-865: promote 1a2b3c @joe"),
    ("path/to=x+y_z.", "path/to=x+y_z."),
    ("reason (rollback) #12, 'quoted'", "reason _rollback_ _12_ _quoted_"),
    ("tabs\tand\nnewlines   squeezed", "tabs and newlines squeezed"),
    ("  padded  ", "padded"),
    ("émoji 🚀 ok", "émoji _ ok"),
    ("", ""),
    ("semi;colon&amp|pipe", "semi_colon_amp_pipe"),
])
def test_tag_values_keep_only_what_rds_allows(text: str, value: str) -> None:
    assert naming.tag_value(text) == value


def test_tag_values_are_cut_to_256_without_a_trailing_space() -> None:
    assert len(naming.tag_value("x" * 1000)) == 256
    assert naming.tag_value("x" * 255 + " y") == "x" * 255


@pytest.mark.parametrize(("key", "message"), [
    ("aws:cloudformation", "reserved 'aws:' prefix"),
    ("AWS:Name", "reserved 'aws:' prefix"),
    ("", "1 to 128"),
    ("k" * 129, "1 to 128"),
    ("bad;key", "characters RDS refuses"),
])
def test_bad_tag_keys_are_refused(key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        naming.check_tag_key(key)


def test_rds_tags_checks_keys_and_sanitises_values() -> None:
    tags = naming.rds_tags(naming.drill_tags("d1", {naming.TAG_REASON: "why? because"}))
    assert tags == [
        {"Key": "harness:drill-id", "Value": "d1"},
        {"Key": "harness:created-by", "Value": "promotion-harness"},
        {"Key": "harness:reason", "Value": "why_ because"},
    ]
    assert naming.check_tag_key("k" * 128)
