"""RDS identifiers and tags built from free text (cycle ids, reasons), and drill ids.

Pure: AWS validates identifiers (moto does too) but not tag values in moto, so both rules
live here and are unit-tested on their own. Every refusal names the value and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from harness.errors import ConfigError

SNAPSHOT_ID_MAX = 255
INSTANCE_ID_MAX = 63
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"

# Tags the harness puts on everything a drill creates (cleanup finds them by these keys).
TAG_DRILL_ID = "harness:drill-id"
TAG_CREATED_BY = "harness:created-by"
TAG_CYCLE = "harness:cycle"
TAG_REASON = "harness:reason"
# On a drill's broken copy of a task definition: the revision it was made from (where cleanup
# puts the service when no undo record says otherwise).
TAG_COPIED_FROM = "harness:copied-from"
CREATED_BY = "promotion-harness"

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_NOT_IDENTIFIER_CHAR = re.compile(r"[^a-z0-9]+")
_TAG_SPECIALS = frozenset(" _.:/=+-@")
_RESERVED_TAG_PREFIX = "aws:"


def timestamp(at: datetime) -> str:
    """UTC ``YYYYmmddHHMMSS`` as the runbook's snapshot names use it."""
    return at.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def identifier_part(text: str) -> str:
    """``text`` as a piece of an RDS identifier: lower case, every run of other characters
    turned into one hyphen, no hyphen at either end ("NQU-865 / hotfix" -> "nqu-865-hotfix").
    May be empty when ``text`` holds no letter or digit."""
    return _NOT_IDENTIFIER_CHAR.sub("-", text.lower()).strip("-")


def check_identifier(name: str, *, max_len: int, what: str) -> str:
    """Refuse a name RDS would refuse: letters, digits and single hyphens, a letter first,
    no hyphen last, at most ``max_len`` characters."""
    if len(name) > max_len:
        raise ConfigError(f"{what} '{name}' is {len(name)} characters; RDS allows {max_len}",
                          fix="use a shorter cycle id or instance name")
    if not _IDENTIFIER.match(name):
        raise ConfigError(
            f"{what} '{name}' is not a valid RDS identifier",
            fix="RDS identifiers hold letters, digits and single hyphens, start with a letter "
                "and do not end with a hyphen")
    return name


def snapshot_identifier(template: str, cycle: str, at: datetime) -> str:
    """The pre-promotion snapshot name: the topology's template with ``{timestamp}`` (UTC)
    and ``{cycle}`` (sanitised) filled in, checked against the RDS rules."""
    part = identifier_part(cycle)
    if not part:
        raise ConfigError(f"cycle id {cycle!r} has no letter or digit to name a snapshot with",
                          fix="pass a cycle id such as NQU-865")
    name = template.format(timestamp=timestamp(at), cycle=part)
    return check_identifier(name, max_len=SNAPSHOT_ID_MAX, what="snapshot identifier")


def snapshot_pattern(template: str, cycle: str) -> re.Pattern[str]:
    """Matches the names ``snapshot_identifier`` gives ``cycle`` at any time."""
    part = identifier_part(cycle)
    literal = re.escape(template).replace(r"\{timestamp\}", r"(?P<timestamp>\d{14})")
    return re.compile("^" + literal.replace(r"\{cycle\}", re.escape(part)) + "$")


def drill_snapshot_identifier(instance: str, drill_id: str) -> str:
    """The snapshot a drill takes of ``instance``."""
    name = f"{identifier_part(instance)}-drill-{identifier_part(drill_id)}"
    return check_identifier(name, max_len=SNAPSHOT_ID_MAX, what="drill snapshot identifier")


def restored_instance_identifier(instance: str, at: datetime) -> str:
    """The runbook's name for a restore of ``instance``: ``<instance>-restore-<timestamp>``."""
    name = f"{identifier_part(instance)}-restore-{timestamp(at)}"
    return check_identifier(name, max_len=INSTANCE_ID_MAX, what="restored instance identifier")


def tag_value(text: str) -> str:
    """Free text as an RDS tag value: letters, digits, spaces and ``_ . : / = + - @`` kept,
    other whitespace turned into a space, anything else into ``_``; runs of spaces squeezed;
    at most 256 characters."""
    chars = []
    for ch in text:
        if ch.isalnum() or ch in _TAG_SPECIALS:
            chars.append(ch)
        elif ch.isspace():
            chars.append(" ")
        else:
            chars.append("_")
    return re.sub(" {2,}", " ", "".join(chars)).strip()[:TAG_VALUE_MAX].rstrip()


def check_tag_key(key: str) -> str:
    """Tag keys are the harness's own names: refuse instead of rewriting them."""
    if not key or len(key) > TAG_KEY_MAX:
        raise ConfigError(f"tag key {key!r} must be 1 to {TAG_KEY_MAX} characters",
                          fix="shorten the tag key")
    if key.lower().startswith(_RESERVED_TAG_PREFIX):
        raise ConfigError(f"tag key {key!r} uses the reserved 'aws:' prefix",
                          fix="choose a key without the aws: prefix, e.g. harness:...")
    if tag_value(key) != key:
        raise ConfigError(f"tag key {key!r} holds characters RDS refuses",
                          fix="use letters, digits, spaces and _ . : / = + - @ only")
    return key


def rds_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """``{key: free text}`` as the RDS ``Tags`` list: keys checked, values sanitised."""
    return [{"Key": check_tag_key(k), "Value": tag_value(v)} for k, v in tags.items()]


def drill_tags(drill_id: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The tags everything a drill creates carries (cleanup selects on TAG_DRILL_ID)."""
    return {TAG_DRILL_ID: drill_id, TAG_CREATED_BY: CREATED_BY, **(extra or {})}
