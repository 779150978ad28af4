"""The pre-promotion snapshot's name template: only {timestamp} and {cycle}, both present,
and a valid RDS snapshot identifier once filled in. Pure."""

from __future__ import annotations

import string
from datetime import UTC, datetime

from harness import naming
from harness.errors import ConfigError

SNAPSHOT_PLACEHOLDERS = ("timestamp", "cycle")
_FIX = 'e.g. name_template = "invapp-dev-rds-{timestamp}-pre-promote-{cycle}"'


def snapshot_template_problem(template: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) for ``template``, or None when it is usable."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return f"is not a valid template: {exc}", _FIX
    unknown = sorted({f for f in fields if f not in SNAPSHOT_PLACEHOLDERS})
    if unknown:
        return (f"uses unknown placeholder(s) {', '.join('{' + f + '}' for f in unknown)}",
                f"use only {{timestamp}} and {{cycle}}; {_FIX}")
    if "cycle" not in fields or "timestamp" not in fields:
        return "must contain {timestamp} and {cycle}", _FIX
    try:
        naming.snapshot_identifier(template, "nqu-865", datetime(2026, 1, 1, tzinfo=UTC))
    except ConfigError as exc:
        return (f"does not give a valid RDS snapshot identifier: {exc.what}",
                f"{exc.fix}; {_FIX}")
    return None
