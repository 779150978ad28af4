"""`harness migrations lint|roundtrip` and `harness schema diff` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from harness.cli.main import main
from harness.io.db.providers import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "migrations"
Write = Callable[[dict[str, str]], Path]
Cli = Callable[..., "Run"]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def harness(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """The CLI in-process (fast); one test below runs it as a subprocess."""

    def run(*args: str) -> Run:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


def test_the_installed_command_runs_lint() -> None:
    out = subprocess.run([sys.executable, "-m", "harness.cli.main", "migrations", "lint",
                          str(FIXTURES / "broken")], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1 and out.stdout.startswith("FAIL:")


def test_lint_passes_a_clean_directory_and_lists_classifications(harness: Cli) -> None:
    out = harness("migrations", "lint", str(FIXTURES / "app"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("PASS: 4 migration(s)")
    assert "4 backward-compatible, 0 risky, 0 breaking" in out.stdout
    # The CONCURRENTLY index is recognised as such: no lock-heavy finding.
    assert "create-index-not-concurrently" not in out.stdout


def test_lint_fails_with_every_problem_named_by_file(harness: Cli) -> None:
    out = harness("migrations", "lint", str(FIXTURES / "broken"))
    assert out.returncode == 1
    assert "20260401000000_create_users.sql: forward file has no down file" in out.stdout
    assert "20260402000000_drop_email.down.sql: down file holds no SQL" in out.stdout
    assert "20260403000000_orphan.down.sql: down file has no forward file" in out.stdout
    assert out.stdout.count("fix: ") == 3


def test_lint_takes_the_naming_from_a_topology_file(harness: Cli, tmp_path: Path) -> None:
    bundled = ROOT / "harness" / "topologies" / "runbook.toml"
    assert harness("migrations", "lint", str(FIXTURES / "app"), "--topology",
                   str(bundled)).returncode == 0
    out = harness("migrations", "lint", str(FIXTURES / "app"), "--topology", str(bundled),
                  "--down-suffix", ".undo.sql")
    assert out.returncode == 1 and "has no down file" in out.stdout


def test_lint_json_is_machine_readable(harness: Cli) -> None:
    out = harness("migrations", "lint", str(FIXTURES / "broken"), "--json")
    doc = json.loads(out.stdout)
    assert doc["ok"] is False
    assert sorted(p["code"] for p in doc["problems"]) == ["empty-down", "missing-down",
                                                          "orphan-down"]
    drop = next(m for m in doc["migrations"] if m["name"] == "20260402000000_drop_email")
    assert drop["classification"] == "breaking"
    assert drop["findings"][0]["rule"] == "drop-column" and drop["findings"][0]["line"] == 1


def test_lint_fail_on_breaking(harness: Cli, write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": "DROP TABLE users;",
                          "20260101000000_a.down.sql": "CREATE TABLE users (id int);"})
    assert harness("migrations", "lint", str(d)).returncode == 0
    assert harness("migrations", "lint", str(d), "--fail-on", "breaking").returncode == 1


def test_lint_usage_and_config_errors_exit_2(harness: Cli, tmp_path: Path) -> None:
    missing = harness("migrations", "lint", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    pattern = harness("migrations", "lint", str(tmp_path), "--forward-pattern", "^x.sql$")
    assert pattern.returncode == 2 and "(?P<version>...)" in pattern.stderr
    assert harness("migrations", "lint").returncode == 2


def test_roundtrip_on_a_given_server(harness: Cli, postgres: PostgresServer) -> None:
    out = harness("migrations", "roundtrip", str(FIXTURES / "app"), "--dsn",
                  postgres.dsn("postgres"), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["ok"] and [m["status"] for m in doc["migrations"]] == ["passed"] * 4
    assert doc["migrations"][0]["down_vs_before"] == "identical"
    with psycopg.connect(postgres.dsn("postgres")) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    assert row is not None
    version = str(row[0]).split()[0]
    assert doc["server"].startswith(f"PostgreSQL {version}, given by DSN, at ")
    text = harness("migrations", "roundtrip", str(FIXTURES / "app"), "--dsn",
                   postgres.dsn("postgres"), "--since", "20260401000000")
    first = text.stdout.splitlines()[0]
    assert first.startswith("PASS: 4 migration(s): 3 round-tripped, 1 applied forward only "
                            "(--since), 0 not run; scratch database harness_roundtrip_"), first
    assert f" on PostgreSQL {version}, given by DSN, at " in first


def test_lint_exits_2_on_sql_postgresql_cannot_parse_naming_line_and_column(
        harness: Cli, write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": "CREATE TABLE a (id int);\n"
                                                  "ALTER TABEL a ADD COLUMN b int;\n",
                          "20260101000000_a.down.sql": "DROP TABLE a;\n"})
    out = harness("migrations", "lint", str(d))
    assert out.returncode == 2
    assert '20260101000000_a.sql:2:7: PostgreSQL\'s parser: syntax error at or near "TABEL"' \
        in out.stdout


def test_lint_of_an_empty_directory_exits_2(harness: Cli, tmp_path: Path) -> None:
    out = harness("migrations", "lint", str(tmp_path))
    assert out.returncode == 2 and "holds no .sql file" in out.stdout


def test_lint_json_carries_each_finding_s_reason_and_reference(
        harness: Cli, write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": "ALTER TABLE users ADD COLUMN t uuid "
                                                  "DEFAULT gen_random_uuid();\n",
                          "20260101000000_a.down.sql": "ALTER TABLE users DROP COLUMN t;\n"})
    (finding,) = json.loads(harness("migrations", "lint", str(d), "--json").stdout)[
        "migrations"][0]["findings"]
    assert finding["rule"] == "add-column-volatile-default"
    assert (finding["line"], finding["column"]) == (1, 1)
    assert finding["reference"] == "squawk adding-field-with-default, Atlas PG302"
    assert finding["reason"].startswith("a volatile default is evaluated per row")


def test_roundtrip_with_a_wrong_down_exits_1_and_shows_the_diff(
        harness: Cli, postgres: PostgresServer, write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": "CREATE TABLE a (id int);\n"
                                                  "CREATE TABLE b (id int);\n",
                          "20260101000000_a.down.sql": "DROP TABLE a;\n"})
    out = harness("migrations", "roundtrip", str(d), "--dsn", postgres.dsn("postgres"))
    assert out.returncode == 1
    assert "FAILED: the down file does not restore the schema" in out.stdout
    assert "+CREATE TABLE public.b (" in out.stdout


def test_roundtrip_refuses_a_directory_with_problems_before_touching_a_database(harness: Cli) -> None:
    out = harness("migrations", "roundtrip", str(FIXTURES / "broken"), "--dsn",
                  "postgresql://nobody:pw@127.0.0.1:1/none")
    assert out.returncode == 2
    assert "3 problem(s)" in out.stderr and "pw@" not in out.stderr


def test_schema_diff_identical_equivalent_and_different(harness: Cli, postgres: PostgresServer) -> None:
    a = postgres.create_database("cli_diff_a", template="template0")
    b = postgres.create_database("cli_diff_b", template="template0")
    try:
        with psycopg.connect(a, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (x int, y text)")
        with psycopg.connect(b, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (y text, x int)")
        equivalent = harness("schema", "diff", a, b)
        assert equivalent.returncode == 0 and "equivalent" in equivalent.stdout
        assert harness("schema", "diff", a, b, "--strict").returncode == 1
        with psycopg.connect(b, autocommit=True) as conn:
            conn.execute("ALTER TABLE t ALTER COLUMN x TYPE bigint")
        different = harness("schema", "diff", a, b)
        assert different.returncode == 1
        assert "  table public.t: column x type integer -> bigint\n" in different.stdout
        assert "+    x bigint" not in different.stdout  # the lines only with --diff
        hunks = harness("schema", "diff", a, b, "--diff")
        assert "-    x integer" in hunks.stdout and "+    x bigint" in hunks.stdout
        same = harness("schema", "diff", a, a)
        assert same.returncode == 0 and "identical" in same.stdout
    finally:
        postgres.drop_database("cli_diff_a")
        postgres.drop_database("cli_diff_b")


def test_schema_diff_against_an_unreachable_server_exits_2_and_masks_the_password(
        harness: Cli, postgres: PostgresServer) -> None:
    out = harness("schema", "diff", postgres.dsn("postgres"),
                  "postgresql://app:hunter22@127.0.0.1:1/x?connect_timeout=2")
    assert out.returncode == 2
    assert "hunter22" not in out.stderr and "cannot connect" in out.stderr
