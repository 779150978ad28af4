"""`harness migrations lint` and `harness schema diff` start without the heavy machinery:
no pytest, boto3, moto or sim, not even a database driver (psycopg), nor rich. Checked in a fresh
interpreter through the real entry point (sys.modules after the command ran). Lint also
loads no part of the database layer (harness.io: the catalog diff and its difflib belong to
the round trip)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.io.db.providers import PostgresServer

FIXTURES = Path(__file__).parent / "fixtures" / "migrations"
HEAVY = ("pytest", "_pytest", "pytest_bdd", "boto3", "botocore", "moto", "psycopg",
         "harness.backend", "harness.world", "rich")
LINT_ALSO_WITHOUT = ("harness.io", "difflib")
PROBE = """
import json, sys
from harness.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in {heavy!r}))
print(json.dumps({{"code": code, "heavy": heavy}}))
"""


def run_probe(*argv: str, heavy: tuple[str, ...] = HEAVY) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=heavy), *argv],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_lint_imports_nothing_heavy() -> None:
    result = run_probe("migrations", "lint", str(FIXTURES / "app"),
                       heavy=HEAVY + LINT_ALSO_WITHOUT)
    assert result == {"code": 0, "heavy": []}


def test_schema_diff_imports_nothing_heavy(postgres: PostgresServer) -> None:
    dsn = postgres.dsn("postgres")
    result = run_probe("schema", "diff", dsn, dsn)
    assert result == {"code": 0, "heavy": []}
