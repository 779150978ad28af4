"""Topology keys that name an environment variable holding a secret (or a user name): the
value must be the variable's name. A value that looks like the secret itself is refused, and
never echoed. Pure."""

from __future__ import annotations

import re

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_NAME_KEYS = ("dsn_env", "basic_auth_user_env", "basic_auth_password_env",
                 "smoke_github_token_env", "webhook_secret_env")
_SECRET_PREFIXES = ("whsec_", "sk_live_", "sk_test_", "rk_live_", "rk_test_", "ghp_", "gho_",
                    "ghs_", "ghu_", "github_pat_", "xox", "akia", "asia")


def env_name_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an environment variable's name (None when nothing),
    saying only its length, never the value."""
    secret_like = (value.lower().startswith(_SECRET_PREFIXES) or "://" in value
                   or "=" in value or "@" in value)
    if secret_like:
        return f"the value ({len(value)} characters) looks like a secret itself"
    if not ENV_NAME.match(value):
        return f"the value ({len(value)} characters) is not a variable name"
    return None
