"""``harness migrations lint|roundtrip`` and ``harness schema diff``: argument parsing and
printing over harness.migrations and harness.io.db. Exit 0 pass, 1 check failed, 2 usage or
configuration error."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness import topology
from harness.cli.common import EXIT_FAIL, EXIT_PASS
from harness.errors import ConfigError, HarnessError
from harness.io.db.schema import Verdict
from harness.migrations.discovery import (
    DEFAULT_DOWN_SUFFIX,
    DEFAULT_FORWARD_PATTERN,
    MigrationPattern,
    load,
)
from harness.migrations.lint import lint
from harness.migrations.render import lint_json, lint_text, roundtrip_json, roundtrip_text
from harness.migrations.rules import Category


def register(subparsers: Any) -> None:
    """Add ``migrations`` and ``schema`` to the ``harness`` command's subparsers."""
    migrations = subparsers.add_parser("migrations", help="lint and round-trip migration files")
    actions = migrations.add_subparsers(dest="migrations_command", required=True)

    lint_p = actions.add_parser("lint", help="pair forward/down files and classify each one")
    _directory_args(lint_p)
    lint_p.add_argument("--fail-on", choices=("risky", "breaking"), default=None,
                        help="also fail when a migration is classified this or worse")
    lint_p.set_defaults(handler=cmd_lint)

    rt_p = actions.add_parser("roundtrip",
                              help="up -> down -> up on a scratch database, schema parity")
    _directory_args(rt_p)
    rt_p.add_argument("--dsn", default=None,
                      help="server to create the scratch database on (default: Docker if "
                           "available, else the embedded PostgreSQL)")
    rt_p.add_argument("--since", default=None, metavar="VERSION",
                      help="apply migrations up to VERSION forward only, round-trip the rest")
    rt_p.add_argument("--pg-dump", default=None, help="pg_dump binary to use")
    rt_p.add_argument("--no-docker", action="store_true", help="never try Docker")
    rt_p.set_defaults(handler=cmd_roundtrip)

    schema = subparsers.add_parser("schema", help="compare database schemas")
    schema_actions = schema.add_subparsers(dest="schema_command", required=True)
    diff_p = schema_actions.add_parser("diff", help="normalised pg_dump --schema-only diff")
    diff_p.add_argument("dsn_a")
    diff_p.add_argument("dsn_b")
    diff_p.add_argument("--strict", action="store_true",
                        help="fail on a column-order-only difference too")
    diff_p.add_argument("--pg-dump", default=None, help="pg_dump binary to use")
    diff_p.set_defaults(handler=cmd_schema_diff)


def _directory_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="directory holding the .sql files")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--topology", default=None, metavar="FILE",
                        help="take the file naming from this topology's [migrations] section")
    parser.add_argument("--forward-pattern", default=None,
                        help="regex for forward file names, with a (?P<version>...) group "
                             f"(default {DEFAULT_FORWARD_PATTERN})")
    parser.add_argument("--down-suffix", default=None,
                        help="suffix replacing .sql in a down file's name "
                             f"(default {DEFAULT_DOWN_SUFFIX})")


def cmd_lint(args: argparse.Namespace, console: object = None) -> int:
    pattern = _pattern(args)
    report = lint(args.directory, pattern)
    if not report.migrations.migrations and not report.migrations.problems:
        # Nothing linted is not a pass: a wrong path or pattern would otherwise go green.
        raise ConfigError(f"no migration file in {args.directory} matches the forward pattern",
                          where=str(args.directory),
                          fix=f"pass the folder holding the migrations (forward files match "
                              f"{pattern.forward_pattern})")
    _emit(args, lint_json(report), lint_text(report))
    fail_on = Category(args.fail_on) if args.fail_on else None
    return EXIT_FAIL if report.failing(fail_on) else EXIT_PASS


def cmd_roundtrip(args: argparse.Namespace, console: object = None) -> int:
    # Imported here so `lint` (no database) starts without loading psycopg.
    from harness.io.db.providers import open_postgres
    from harness.migrations.roundtrip import roundtrip_directory

    migrations = load(args.directory, _pattern(args))
    with open_postgres(args.dsn, use_docker=not args.no_docker,
                       pg_dump_path=args.pg_dump) as server:
        report = roundtrip_directory(server, migrations, since=args.since)
    _emit(args, roundtrip_json(report), roundtrip_text(report))
    return EXIT_PASS if report.ok else EXIT_FAIL


def cmd_schema_diff(args: argparse.Namespace, console: object = None) -> int:
    from harness.io.db.dump import diff_databases

    result = diff_databases(args.dsn_a, args.dsn_b, pg_dump_path=args.pg_dump)
    print(result.summary)
    if result.diff:
        print(result.diff, end="" if result.diff.endswith("\n") else "\n")
    if result.verdict is Verdict.DIFFERENT:
        return EXIT_FAIL
    if result.verdict is Verdict.EQUIVALENT and args.strict:
        return EXIT_FAIL
    return EXIT_PASS


def run(args: argparse.Namespace) -> int:
    """Call the handler, turning harness errors into a message and the contract exit code."""
    try:
        code: int = args.handler(args)
    except HarnessError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    return code


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (harness/cli.py wires ``register`` into ``harness``)."""
    parser = argparse.ArgumentParser(prog="harness")
    register(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


def _pattern(args: argparse.Namespace) -> MigrationPattern:
    """Command-line flags win over the topology file, which wins over the defaults."""
    base = (MigrationPattern.from_config(topology.load(args.topology).migrations)
            if args.topology else MigrationPattern())
    return MigrationPattern(args.forward_pattern or base.forward_pattern,
                            args.down_suffix or base.down_suffix)


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


if __name__ == "__main__":
    sys.exit(main())
