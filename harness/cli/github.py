"""What a command hands GitHub Actions when it runs there: step outputs appended to
``$GITHUB_OUTPUT`` and Markdown appended to ``$GITHUB_STEP_SUMMARY``. Outside Actions
(variable unset) both do nothing.

Every output is written in the multi-line form ``name<<DELIMITER`` / value / ``DELIMITER``
with a random delimiter that the value does not contain, so no value (a cycle id with a
newline in it, say) can add or change another output. Names are checked, never rewritten.

    from harness.cli import github
    github.write_outputs({"verdict": "pass", "cycle": "NQU-865"})
    github.append_summary(markdown)
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from harness.errors import ConfigError

OUTPUT_ENV = "GITHUB_OUTPUT"
SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
# What GitHub accepts as an output name (its own rule for step outputs).
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def encode_outputs(values: Mapping[str, str]) -> str:
    """``values`` in ``$GITHUB_OUTPUT``'s multi-line form (ValueError for a bad name)."""
    out = []
    for name, value in values.items():
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a GitHub Actions output name")
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        out.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(out)


def write_outputs(values: Mapping[str, str], env: Mapping[str, str] | None = None) -> bool:
    """Append ``values`` to ``$GITHUB_OUTPUT``; False when the variable is not set."""
    return _append(OUTPUT_ENV, encode_outputs(values), env)


def append_summary(markdown: str, env: Mapping[str, str] | None = None) -> bool:
    """Append ``markdown`` to ``$GITHUB_STEP_SUMMARY``; False when the variable is not set."""
    return _append(SUMMARY_ENV, markdown.rstrip("\n") + "\n", env)


def problems(env: Mapping[str, str] | None = None) -> list[str]:
    """For the preflight: each of the two files that is set but cannot be appended to."""
    env = os.environ if env is None else env
    found = []
    for name in (OUTPUT_ENV, SUMMARY_ENV):
        path = env.get(name)
        if path and (Path(path).is_dir() or not _appendable(Path(path))):
            found.append(f"${name} ({path}) cannot be appended to: fix the path the workflow "
                         "sets, or unset it outside GitHub Actions")
    return found


def _appendable(path: Path) -> bool:
    if path.exists():
        return os.access(path, os.W_OK)
    return path.parent.is_dir() and os.access(path.parent, os.W_OK)


def _append(name: str, text: str, env: Mapping[str, str] | None) -> bool:
    path = (os.environ if env is None else env).get(name)
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise ConfigError(f"cannot append to ${name}: {exc.strerror}", where=path,
                          fix="fix the path the workflow sets, or unset it outside GitHub "
                              "Actions") from exc
    return True
