"""The one redaction pass: secret values and DSN passwords are masked before anything is
printed or written (evidence, summaries, logs)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

MASK = "***"

# Environment variables whose values are secret whatever the topology says.
ALWAYS_SECRET_ENV = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "PGPASSWORD",
    "STRIPE_WEBHOOK_SECRET",
)

_DSN_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?P<tail>@)", re.I)
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'[^']*'|\S+)", re.I)
_BASIC_AUTH_HEADER = re.compile(r"(?P<head>\bBasic\s+)(?P<pw>[A-Za-z0-9+/=]{8,})")

# Values shorter than this are not masked by value (they would mask ordinary words).
_MIN_SECRET_LEN = 4


def mask_dsn(text: str) -> str:
    """Mask the password part of URL-style and key=value DSNs, and Basic auth headers."""
    text = _DSN_PASSWORD.sub(lambda m: m["head"] + MASK + m["tail"], text)
    text = _KV_PASSWORD.sub(lambda m: m["head"] + MASK, text)
    return _BASIC_AUTH_HEADER.sub(lambda m: m["head"] + MASK, text)


class Redactor:
    """Masks known secret values and DSN passwords in strings and nested JSON-like data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {s for s in secrets if s and len(s) >= _MIN_SECRET_LEN}
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted(values, key=len, reverse=True)

    @classmethod
    def from_env(
        cls, secret_env_names: Iterable[str] = (), env: Mapping[str, str] | None = None
    ) -> Redactor:
        env = os.environ if env is None else env
        names = set(ALWAYS_SECRET_ENV) | set(secret_env_names)
        names |= {n for n in env if n.endswith(("_PASSWORD", "_SECRET", "_TOKEN", "_DSN"))}
        values: list[str] = []
        for name in names:
            value = env.get(name)
            if not value:
                continue
            values.append(value)
            values.extend(_dsn_passwords(value))
        return cls(values)

    def text(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return mask_dsn(text)

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


def _dsn_passwords(value: str) -> list[str]:
    found = [m["pw"] for m in _DSN_PASSWORD.finditer(value)] + [
        m["pw"].strip("'") for m in _KV_PASSWORD.finditer(value)
    ]
    # A driver error prints the decoded password, and a basic-auth "user:password" value is
    # often printed as its password alone.
    found += [unquote(pw) for pw in found]
    if "://" not in value and ":" in value.strip():
        found.append(value.strip().split(":", 1)[1])
    return found
