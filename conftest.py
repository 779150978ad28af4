"""Registers the step modules for the test suite (pytest-bdd 9 binds scenarios in
steps/test_*.py; the step definitions are plugins, as in the CLI's own runs)."""

from harness.steps import PLUGINS

pytest_plugins = [f"harness.steps.{name}" for name in PLUGINS]
