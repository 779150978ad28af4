"""Tiers, accounts, resource names, URLs and RTO targets, read from a TOML file.

The bundled default (``topologies/runbook.toml``) is the runbook's naming reality: prod is
the stack named ``invapp-dev-*``. Validation is strict: an unknown key, a missing field, a
malformed account id, two tiers sharing an account or a cluster, or a drill-enabled prod is
an error naming the file, the line, the key and the fix.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from harness.errors import ConfigError
from harness.topology.model import (
    DEFAULT_GITHUB_API,
    GateConfig,
    MigrationsConfig,
    NotifyConfig,
    Tier,
    Topology,
)
from harness.topology.validate import Validator

BUNDLED_NAME = "runbook.toml"

__all__ = ["DEFAULT_GITHUB_API", "GateConfig", "MigrationsConfig", "NotifyConfig", "Tier", "Topology",
           "bundled_path", "load", "parse"]


def bundled_path() -> Path:
    return Path(str(resources.files("harness").joinpath(f"topologies/{BUNDLED_NAME}")))


def load(path: str | Path | None = None) -> Topology:
    """Load and validate a topology file (default: the bundled runbook topology)."""
    file = Path(path) if path else bundled_path()
    source = str(file)
    fix = "pass an existing TOML file, or omit it to use the bundled one"
    try:
        text = file.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read topology file: {exc.strerror}", where=source,
                          fix=fix) from exc
    except UnicodeDecodeError as exc:
        line = text_line(file, exc.start)
        raise ConfigError(f"the topology file is not UTF-8 text (byte {exc.start}, line {line})",
                          where=f"{source}:{line}", fix="save the file as UTF-8") from exc
    return parse(text, source)


def text_line(file: Path, offset: int) -> int:
    """The line number holding byte ``offset`` of ``file``."""
    return file.read_bytes()[:offset].count(b"\n") + 1


def parse(text: str, source: str = "<topology>") -> Topology:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=source,
                          fix="fix the syntax at the line shown") from exc
    return Validator(text, source).build(raw)
