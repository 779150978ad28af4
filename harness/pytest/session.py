"""Runs the bundled features through pytest for the CLI: the installed features and step
modules, the harness's own pytest configuration, only the plugins the harness needs, and the
RunConfig the CLI built handed over as a plugin object."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import pytest

from harness.pytest.plugin import HarnessRun
from harness.redact import RedactingStream
from harness.runconfig import RunConfig

STEPS_PACKAGE = "harness.steps"
NO_TESTS_COLLECTED = int(pytest.ExitCode.NO_TESTS_COLLECTED)
USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)


def steps_dir() -> Path:
    import harness.steps

    return Path(harness.steps.__file__).resolve().parent


def features_dir() -> Path:
    """Installed: ``harness/features`` beside ``harness/steps``; a checkout (editable
    install): ``features/`` beside ``steps/``. Either way, the steps folder's sibling."""
    return steps_dir().parent / "features"


def step_plugins() -> list[str]:
    from harness.steps import PLUGINS

    return [f"{STEPS_PACKAGE}.{name}" for name in PLUGINS]


def run(config: RunConfig, marker: str, *, verbose: bool) -> int:
    """pytest's exit code for the scenarios tagged ``marker``."""
    root = steps_dir().parent
    ini = Path(str(resources.files("harness").joinpath("pytest/run.ini")))
    args = [str(steps_dir()), "-c", str(ini), "--rootdir", str(root),
            "--confcutdir", str(steps_dir()),
            "-o", f"bdd_features_base_dir={features_dir()}", "-m", marker,
            "-p", "pytest_bdd.plugin", "-p", "harness.pytest.plugin"]
    for module in step_plugins():
        args += ["-p", module]
    args += ["-q", "-rfE"] if verbose else ["-p", "no:terminal"]
    with _no_autoload(), _redacted_output(config.topology.secret_env_names):
        return int(pytest.main(args, plugins=[HarnessRun(config)]))


@contextmanager
def _redacted_output(secret_env_names: tuple[str, ...]) -> Iterator[None]:
    """pytest's own output (-v: tracebacks, assertion values, captured output) and the
    progress lines pass through the redactor like everything else the harness prints."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(out, secret_env_names)  # type: ignore[assignment]
    sys.stderr = RedactingStream(err, secret_env_names)  # type: ignore[assignment]
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, RedactingStream):
                stream.close_buffer()
        sys.stdout, sys.stderr = out, err


@contextmanager
def _no_autoload() -> Iterator[None]:
    """Plugins installed beside the harness (randomisers, xdist...) stay out of a real run."""
    before = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = before
