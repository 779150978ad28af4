"""Time `harness migrations lint` on a generated directory of 200 migrations.

    python bench/bench_migrations_lint.py [--count 200] [--repeat 5]

Prints the library time (best and median of --repeat runs) and the wall time of the CLI
as a subprocess (Python start-up and imports included), beside the bare interpreter's
start-up measured in the same run (the floor any CLI pays).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.migrations.lint import lint

# A mix of what real migration files hold: plain DDL, multi-action ALTERs, indexes,
# dollar-quoted function bodies, DO blocks, data fixes, BEGIN/COMMIT wrappers.
TEMPLATES = [
    ("CREATE TABLE t{i} (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL,\n"
     "    created_at timestamptz NOT NULL DEFAULT now()\n);\n"
     "CREATE INDEX t{i}_name_idx ON t{i} (name);\n",
     "DROP TABLE t{i};\n"),
    ("ALTER TABLE t{p} ADD COLUMN note_{i} text,\n  ADD COLUMN flag_{i} boolean NOT NULL "
     "DEFAULT false,\n  ALTER COLUMN name SET DEFAULT 'x';\n",
     "ALTER TABLE t{p} DROP COLUMN note_{i}, DROP COLUMN flag_{i},\n"
     "  ALTER COLUMN name DROP DEFAULT;\n"),
    ("CREATE OR REPLACE FUNCTION touch_{i}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
     "BEGIN\n  NEW.created_at := now();  -- DROP TABLE in a body is not a statement\n"
     "  RETURN NEW;\nEND;\n$fn$;\n",
     "DROP FUNCTION touch_{i}();\n"),
    ("BEGIN;\nUPDATE t{p} SET name = lower(name) WHERE name <> lower(name);\n"
     "DELETE FROM t{p} WHERE name = 'obsolete';\nCOMMIT;\n",
     "SELECT 1; -- data fix, nothing to undo\n"),
    ("DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood_{i}') THEN\n"
     "    CREATE TYPE mood_{i} AS ENUM ('a', 'b');\n  END IF;\nEND\n$$;\n",
     "DROP TYPE IF EXISTS mood_{i};\n"),
    ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t{p}_u{i} ON t{p} (name, id);\n",
     "DROP INDEX CONCURRENTLY IF EXISTS t{p}_u{i};\n"),
    ("ALTER TABLE t{p} RENAME COLUMN name TO title;\nALTER TABLE t{p} ALTER COLUMN title "
     "TYPE varchar(200);\n",
     "ALTER TABLE t{p} ALTER COLUMN title TYPE text;\nALTER TABLE t{p} RENAME COLUMN title "
     "TO name;\n"),
]


def generate(directory: Path, count: int) -> None:
    for i in range(count):
        forward, down = TEMPLATES[i % len(TEMPLATES)]
        stem = f"{20260101000000 + i}_m{i}"
        values = {"i": i, "p": max(0, i - i % len(TEMPLATES))}
        (directory / f"{stem}.sql").write_text(forward.format(**values))
        (directory / f"{stem}.down.sql").write_text(down.format(**values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lint-") as tmp:
        directory = Path(tmp)
        generate(directory, args.count)
        sizes = sum(p.stat().st_size for p in directory.iterdir())
        times = []
        for _ in range(args.repeat):
            started = time.monotonic()
            report = lint(directory)
            times.append(time.monotonic() - started)
        assert report.ok, [p.render() for p in report.migrations.problems]
        statements = sum(len(c.findings) for c in report.classifications)
        cli: list[float] = []
        bare: list[float] = []
        for _ in range(args.repeat):  # interleaved, so load slows both alike
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "harness.cli.main", "migrations",
                                   "lint", str(directory)], capture_output=True, text=True)
            cli.append(time.monotonic() - started)
            started = time.monotonic()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare.append(time.monotonic() - started)
    print(f"lint of {args.count} migrations ({2 * args.count} files, {sizes / 1024:.0f} KiB, "
          f"{statements} findings)")
    print(f"  library: best {min(times):.3f} s, median {statistics.median(times):.3f} s "
          f"over {args.repeat} runs (time.monotonic)")
    print(f"  CLI subprocess wall time: median {statistics.median(cli):.3f} s, best "
          f"{min(cli):.3f} s (exit {done.returncode}); bare `python -c pass`: median "
          f"{statistics.median(bare):.3f} s; CLI / bare = "
          f"{statistics.median(cli) / statistics.median(bare):.1f}x")


if __name__ == "__main__":
    main()
