"""``harness migrations lint|roundtrip`` and ``harness schema diff``: argument parsing and
printing over harness.migrations and harness.io.db. Exit 0 pass, 1 check failed, 2 usage or
configuration error."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cli.commands import help_for
from harness.cli.exits import EXIT_FAIL, EXIT_PASS, EXIT_USAGE
from harness.errors import HarnessError
from harness.migrations.patterns import DEFAULT_DOWN_SUFFIX, DEFAULT_FORWARD_PATTERN

# Each command imports what it needs when it runs: `schema diff` never loads the SQL parser,
# `lint` never loads a database driver.
if TYPE_CHECKING:
    from harness.io.db.schema import SchemaComparison
    from harness.migrations.discovery import MigrationPattern


def register(subparsers: Any) -> None:
    """Add ``migrations`` and ``schema`` to the ``harness`` command's subparsers."""
    migrations = subparsers.add_parser("migrations", help=help_for("migrations"))
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

    schema = subparsers.add_parser("schema", help=help_for("schema"))
    schema_actions = schema.add_subparsers(dest="schema_command", required=True)
    diff_p = schema_actions.add_parser("diff", help="normalised pg_dump --schema-only diff")
    diff_p.add_argument("dsn_a")
    diff_p.add_argument("dsn_b")
    diff_p.add_argument("--strict", action="store_true",
                        help="fail on a column-order-only difference too")
    diff_p.add_argument("--with-privileges", action="store_true",
                        help="also compare privileges (GRANT / REVOKE, default privileges)")
    diff_p.add_argument("--diff", action="store_true",
                        help="also print the unified diff of the normalised dumps")
    diff_p.add_argument("--json", action="store_true", help="print JSON instead of text")
    diff_p.add_argument("--pg-dump", default=None,
                        help="pg_dump binary to use (default: the newest one found)")
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
    from harness.migrations.lint import lint
    from harness.migrations.render import lint_json, lint_text
    from harness.migrations.rules import Category

    report = lint(args.directory, _pattern(args))
    _emit(args, lint_json(report), lint_text(report))
    if report.bad_input:
        return EXIT_USAGE
    fail_on = Category(args.fail_on) if args.fail_on else None
    return EXIT_FAIL if report.failing(fail_on) else EXIT_PASS


def cmd_roundtrip(args: argparse.Namespace, console: object = None) -> int:
    from harness.io.db.providers import open_postgres
    from harness.migrations.discovery import load
    from harness.migrations.render import roundtrip_json, roundtrip_text
    from harness.migrations.roundtrip import roundtrip_directory

    migrations = load(args.directory, _pattern(args))
    with open_postgres(args.dsn, use_docker=not args.no_docker,
                       pg_dump_path=args.pg_dump) as server:
        report = roundtrip_directory(server, migrations, since=args.since)
    _emit(args, roundtrip_json(report), roundtrip_text(report))
    return EXIT_PASS if report.ok else EXIT_FAIL


def cmd_schema_diff(args: argparse.Namespace, console: object = None) -> int:
    from harness.io.db.dump import diff_databases
    from harness.io.db.schema import Verdict

    result = diff_databases(args.dsn_a, args.dsn_b, pg_dump_path=args.pg_dump,
                            with_privileges=args.with_privileges)
    _emit(args, _diff_json(result), _diff_text(result, hunks=args.diff))
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
        from harness.redact import Redactor

        print(f"error: {Redactor.from_env().text(exc.render())}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep the interpreter's
        # final flush from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAIL
    return code


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (harness/cli.py wires ``register`` into ``harness``)."""
    parser = argparse.ArgumentParser(prog="harness")
    register(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


def _diff_text(result: SchemaComparison, *, hunks: bool) -> str:
    lines = [result.summary, *(f"  {change}" for change in result.changes)]
    if result.diff and hunks:
        lines.append(result.diff.rstrip("\n"))
    elif result.diff:
        lines.append("  (--diff prints the changed lines)")
    return "\n".join(lines)


def _diff_json(result: SchemaComparison) -> dict[str, Any]:
    return {"verdict": result.verdict.value, "left": result.left, "right": result.right,
            "reordered_tables": list(result.reordered_tables),
            "changes": [{"kind": c.kind, "object": c.name, "change": c.change}
                        for c in result.changes],
            "diff": result.diff}


def _pattern(args: argparse.Namespace) -> MigrationPattern:
    """Command-line flags win over the topology file, which wins over the defaults."""
    from harness.migrations.discovery import MigrationPattern

    if args.topology:
        from harness import topology  # read only when a topology file is named

        base = MigrationPattern.from_config(topology.load(args.topology).migrations)
    else:
        base = MigrationPattern()
    return MigrationPattern(args.forward_pattern or base.forward_pattern,
                            args.down_suffix or base.down_suffix)


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


if __name__ == "__main__":
    sys.exit(main())
