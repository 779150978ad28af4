"""The command line's parser class: an unknown flag is reported by the (sub)command it was
given to, with that command's usage (plain argparse reports it from the top-level parser:
``usage: harness [-h] COMMAND ...``), and a command may take an optional sub-command of its
own (``harness rollback`` and ``harness rollback data``) without the command's required
options being demanded of the sub-command.

    parser = HarnessParser(prog="harness")
    sub = parser.add_subparsers(...)          # subparsers are HarnessParsers too
    rollback = sub.add_parser("rollback")
    nest(rollback, "data", data_parser)       # `harness rollback data ...` goes to data_parser
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

# Set on the namespace by the innermost parser that parsed the words (then removed).
_DEEPEST = "_harness_deepest_parser"
_NESTED = "_harness_nested"


class HarnessParser(argparse.ArgumentParser):
    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        words = list(args) if args is not None else None
        nested: dict[str, argparse.ArgumentParser] = getattr(self, _NESTED, {})
        if words and words[0] in nested:
            # The sub-command parses alone: the parent's required options are not its own.
            ns, extras = nested[words[0]].parse_known_args(words[1:], namespace)
        else:
            ns, extras = super().parse_known_args(words, namespace)
        # Inner parsers return first; the outer ones keep the innermost.
        if not hasattr(ns, _DEEPEST):
            setattr(ns, _DEEPEST, self)
        return ns, extras

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        ns, extras = self.parse_known_args(args, namespace)
        owner: argparse.ArgumentParser = getattr(ns, _DEEPEST, self)
        delattr(ns, _DEEPEST)
        if extras:
            owner.error(f"unrecognized arguments: {' '.join(extras)}")
        return ns


def nest(parent: argparse.ArgumentParser, name: str, child: argparse.ArgumentParser) -> None:
    """``parent NAME ...`` is parsed by ``child`` alone (``child``'s prog should say so)."""
    nested: dict[str, argparse.ArgumentParser] = getattr(parent, _NESTED, None) or {}
    nested[name] = child
    setattr(parent, _NESTED, nested)


def subcommand_parser(parent: argparse.ArgumentParser, name: str, **kwargs: Any
                      ) -> HarnessParser:
    """A parser for ``parent NAME`` (same formatting as its parent), nested under it."""
    child = HarnessParser(prog=f"{parent.prog} {name}", **kwargs)
    nest(parent, name, child)
    return child
