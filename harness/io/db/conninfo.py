"""Connection strings handed to libpq tools (``pg_dump``): the password is taken out of the
command line, where anyone on the machine can read it (``ps``), and given to the tool as
``PGPASSWORD`` in its environment, which only its owner can read. No database driver: the
two libpq forms (URL and ``key=value``) are parsed here."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import unquote

from harness.errors import ConfigError
from harness.redact import mask_dsn

# One `keyword = value` pair: the value single-quoted (\' and \\ escaped) or bare.
_PAIR = re.compile(r"\s*(?P<key>\w+)\s*=\s*(?P<value>'(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)*)")
_URL = re.compile(r"^(?P<scheme>postgres(?:ql)?://)(?P<rest>.*)$", re.S)


def for_command_line(dsn: str, env: Mapping[str, str] | None = None
                     ) -> tuple[str, dict[str, str]]:
    """``dsn`` without its password, and ``env`` (default: this process's) with the password
    as PGPASSWORD when the DSN held one."""
    url = _URL.match(dsn)
    bare, password = _from_url(url["scheme"], url["rest"]) if url else _from_pairs(dsn)
    out = dict(os.environ if env is None else env)
    if password is not None:
        out["PGPASSWORD"] = password
    return bare, out


def _from_url(scheme: str, rest: str) -> tuple[str, str | None]:
    authority, sep, tail = _split_authority(rest)
    password = None
    if "@" in authority:
        userinfo, host = authority.rsplit("@", 1)
        user, colon, secret = userinfo.partition(":")
        if colon:
            password = unquote(secret)
        authority = f"{user}@{host}"
    path, question, query = tail.partition("?")
    if question:
        params = query.split("&")
        kept = [p for p in params if not p.startswith("password=")]
        for p in params:
            if p.startswith("password="):
                password = unquote(p.removeprefix("password="))
        query = "&".join(kept)
    return f"{scheme}{authority}{sep}{path}{'?' + query if query else ''}", password


def _split_authority(rest: str) -> tuple[str, str, str]:
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    return rest[:end], "", rest[end:]


def _from_pairs(dsn: str) -> tuple[str, str | None]:
    kept: list[str] = []
    password = None
    pos = 0
    while pos < len(dsn.rstrip()):
        match = _PAIR.match(dsn, pos)
        if match is None or match.end() == pos:
            raise ConfigError("cannot read the connection string", where=mask_dsn(dsn),
                              fix="write it as postgresql://user@host:port/db or as "
                                  "key=value pairs (host=... dbname=...)")
        pos = match.end()
        if match["key"] == "password":
            value = match["value"]
            value = value[1:-1] if value.startswith("'") else value
            password = re.sub(r"\\(.)", r"\1", value)
        else:
            kept.append(f"{match['key']}={match['value']}")
    return " ".join(kept), password
