"""The one redaction pass: secret values and DSN passwords are masked before anything is
printed or written (evidence, summaries, logs, pytest's own output under -v).

A secret is masked by its whole value, and only when it is at least ``MIN_SECRET_LEN``
characters long: masking a short value would hit ordinary words ("pass", "staging") and,
by what it hid, tell the reader the secret. ``Redactor.too_short`` names the variables
whose values are too short to protect this way, so the run can say so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, TextIO
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
MIN_SECRET_LEN = 8
SECRET_NAME_SUFFIXES = ("_PASSWORD", "_SECRET", "_TOKEN", "_DSN")


def mask_dsn(text: str) -> str:
    """Mask the password part of URL-style and key=value DSNs, and Basic auth headers."""
    text = _DSN_PASSWORD.sub(lambda m: m["head"] + MASK + m["tail"], text)
    text = _KV_PASSWORD.sub(lambda m: m["head"] + MASK, text)
    return _BASIC_AUTH_HEADER.sub(lambda m: m["head"] + MASK, text)


class Redactor:
    """Masks known secret values and DSN passwords in strings and nested JSON-like data."""

    def __init__(self, secrets: Iterable[str] = (), too_short: Iterable[str] = ()) -> None:
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LEN}
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted(values, key=len, reverse=True)
        self.too_short = tuple(sorted(set(too_short)))

    @classmethod
    def from_env(
        cls, secret_env_names: Iterable[str] = (), env: Mapping[str, str] | None = None
    ) -> Redactor:
        env = os.environ if env is None else env
        names = secret_names(secret_env_names, env)
        values: list[str] = []
        short: list[str] = []
        for name in sorted(names):
            value = env.get(name)
            if not value:
                continue
            if len(value) < MIN_SECRET_LEN:
                short.append(name)
            values.append(value)
            values.extend(_dsn_passwords(value))
        return cls(values, short)

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

    def held_back(self, tail: str) -> int:
        """How many characters at the end of ``tail`` could be the start of a secret (or of
        a DSN password): a stream must not let them out before it sees what follows."""
        if "://" in tail or "password" in tail.lower() or "Basic " in tail:
            return len(tail)
        for secret in self._secrets:
            for size in range(min(len(secret) - 1, len(tail)), 0, -1):
                if secret.startswith(tail[-size:]):
                    return size
        return 0


def secret_names(extra: Iterable[str] = (), env: Mapping[str, str] | None = None) -> set[str]:
    """The variables whose values are secret: the always-secret ones, those the topology
    names, and any whose name says so (``*_PASSWORD``, ``*_SECRET``, ``*_TOKEN``, ``*_DSN``)."""
    env = os.environ if env is None else env
    return (set(ALWAYS_SECRET_ENV) | set(extra)
            | {n for n in env if n.endswith(SECRET_NAME_SUFFIXES)})


class RedactingStream:
    """A text stream that masks secrets in what passes through it: whole lines are masked
    and written; on flush a partial line is written too, except a tail that could be the
    start of a secret. The redactor is rebuilt when the secret variables change (the sim
    sets its throwaway credentials after the stream is in place)."""

    def __init__(self, stream: TextIO, secret_env_names: Iterable[str] = ()) -> None:
        self._stream = stream
        self._names = tuple(secret_env_names)
        self._buffer = ""
        self._seen: tuple[tuple[str, str], ...] | None = None
        self._redactor = Redactor()

    def _current(self) -> Redactor:
        names = secret_names(self._names)
        seen = tuple(sorted((n, os.environ.get(n, "")) for n in names))
        if seen != self._seen:
            self._seen = seen
            self._redactor = Redactor.from_env(self._names)
        return self._redactor

    def write(self, text: str) -> int:
        self._buffer += text
        if "\n" in self._buffer:
            lines, _, self._buffer = self._buffer.rpartition("\n")
            self._stream.write(self._current().text(lines + "\n"))
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            redactor = self._current()
            keep = redactor.held_back(self._buffer)
            ready, self._buffer = self._buffer[:len(self._buffer) - keep], self._buffer[
                len(self._buffer) - keep:]
            if ready:
                self._stream.write(redactor.text(ready))
        self._stream.flush()

    def close_buffer(self) -> None:
        """Write whatever is held back (the stream is about to be taken away)."""
        if self._buffer:
            self._stream.write(self._current().text(self._buffer))
            self._buffer = ""
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


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
