"""Registers the step modules (pytest-bdd 9 binds scenarios in steps/test_*.py)."""

pytest_plugins = [
    "steps.common",
    "steps.safety",
    "steps.drill",
    "steps.migrations",
    "steps.drill_step3",
    "steps.rollback",
    "steps.restore",
    "steps.workflows",
    "steps.promote",
    "steps.gate",
]
