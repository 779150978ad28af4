"""The options a run takes, declared once: the CLI adds them to its argparse parsers and the
pytest plugin adds the same specs to pytest's parser (both accept argparse's keywords), and
``harness.runconfig.RunConfig.from_options`` validates what either one parsed."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


class _Adds(Protocol):
    def __call__(self, *flags: str, **kwargs: Any) -> Any: ...


# Shared by every command that runs against a world (drill, gate, promote, rollback).
RUN = (
    Option(("--backend",), {"choices": ("sim", "aws"), "default": "sim",
                            "help": "sim = moto + local app + embedded PostgreSQL (default); "
                                    "aws = real accounts"}),
    Option(("--topology",), {"default": None, "metavar": "FILE",
                             "help": "topology TOML (default: the bundled runbook topology)"}),
    Option(("--tier",), {"default": "staging", "help": "tier to act on (default: staging)"}),
    Option(("--cycle",), {"default": None, "help": "cycle id (e.g. NQU-865)"}),
    Option(("--sha",), {"default": None, "help": "validated commit SHA"}),
    Option(("--sim-rollout-latency",), {
        "type": float, "default": 1.0, "metavar": "SECONDS",
        "help": "sim: seconds before a new deployment's tasks start answering (default 1.0)"}),
    Option(("--sim-deregistration-delay",), {
        "type": float, "default": 0.2, "metavar": "SECONDS",
        "help": "sim: seconds a replaced task keeps draining before ECS stops it, i.e. from "
                "serving healthy to deployment completed (default 0.2; AWS's default is 300)"}),
    Option(("--sim-fault",), {"action": "append", "default": [], "metavar": "NAME",
                              "help": "sim: inject a named fault (repeatable; "
                                      "`harness drill --list-faults`)"}),
    Option(("--allow-prod-write",), {
        "action": "store_true", "default": False,
        "help": "permit writes to the production tier (still only with prod credentials)"}),
)

# The promotion gate's own inputs.
GATE = (
    Option(("--repo",), {"default": None, "metavar": "PATH",
                         "help": "gate: a checkout of the application, to see which files the "
                                 "cycle changed"}),
    Option(("--prod-sha",), {"default": None, "metavar": "SHA",
                             "help": "gate: the SHA prod runs (default: read from prod's task "
                                     "definition)"}),
    Option(("--billing",), {"dest": "gate_billing", "action": "store_const", "const": "yes",
                            "default": None,
                            "help": "gate: the cycle touched billing (skip the git check)"}),
    Option(("--no-billing",), {"dest": "gate_billing", "action": "store_const", "const": "no",
                               "help": "gate: the cycle did not touch billing (the webhook item "
                                       "is not applicable)"}),
    Option(("--migrations",), {"dest": "gate_migrations", "default": None, "metavar": "DIR",
                               "help": "gate: the migrations directory (default: the topology's "
                                       "migrations.dir)"}),
    Option(("--take-snapshot",), {"action": "store_true", "default": False,
                                  "help": "gate: take the pre-promotion prod snapshot (a prod "
                                          "write: needs --allow-prod-write)"}),
)

# Only for pytest run directly (the CLI makes these itself).
PYTEST_ONLY = (
    Option(("--reports",), {"default": None, "metavar": "DIR",
                            "help": "write evidence for this run under DIR/<run-id>/"}),
    Option(("--run-id",), {"default": None, "help": "run id (default: generated)"}),
    Option(("--run-kind",), {"default": "tests", "help": "drill | gate | promote | tests"}),
)


def add(adder: _Adds, options: tuple[Option, ...]) -> None:
    """Declare ``options`` with ``adder``: argparse's add_argument or pytest's addoption."""
    for option in options:
        adder(*option.flags, **option.kwargs)


def whole_number(minimum: int, what: str) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least ``minimum``; ``what`` says what it
    counts in the error (e.g. "a revision number")."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {what}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value}: {what} is at least {minimum}")
        return value
    return parse
