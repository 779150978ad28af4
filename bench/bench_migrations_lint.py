"""`harness migrations lint` on a generated directory of 200 migrations, against the
interpreter's own start-up (`python -c pass`) and against squawk (a PostgreSQL migration
linter in Rust, from the `bench` extra) on the same files, all in one run.

    python bench/bench_migrations_lint.py [--count 200] [--repeat 5]

Figures: the CLI as a subprocess (start-up and imports included, run from bytecode as an
installed harness is: see figures.bytecode_env) and the library call in this process; squawk
is timed as a whole process (it exits 1 when it finds problems).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from figures import Row, bytecode_env, load, print_table, process, python_startup, rounds

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


def squawk_path() -> str | None:
    beside = Path(sys.executable).with_name("squawk")
    return str(beside) if beside.exists() else shutil.which("squawk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    squawk = squawk_path()
    with tempfile.TemporaryDirectory(prefix="bench-lint-") as tmp:
        directory = Path(tmp) / "migrations"
        directory.mkdir()
        generate(directory, args.count)
        files = sorted(str(p) for p in directory.iterdir())
        sizes = sum(Path(p).stat().st_size for p in files)
        report = lint(directory)
        assert report.ok, [p.render() for p in report.migrations.problems]
        statements = sum(len(c.findings) for c in report.classifications)
        env = bytecode_env(Path(tmp) / "pycache")
        cli = process(sys.executable, "-m", "harness.cli.main", "migrations", "lint",
                      str(directory), env=env)
        startup = python_startup(env)
        cli()  # writes the bytecode the timed runs read
        startup()
        load_before = load()
        actions = {
            "cli": cli,
            "library": lambda: lint(directory),
            "startup": startup,
        }
        if squawk:
            actions["squawk"] = process(squawk, *files, ok=(0, 1))
        t = rounds(actions, args.repeat)
    rows = [Row("harness migrations lint (CLI)", t["cli"], "python -c pass", t["startup"])]
    if squawk:
        rows += [Row("harness migrations lint (CLI)", t["cli"], "squawk (CLI)", t["squawk"]),
                 Row("lint() in process", t["library"], "squawk (CLI)", t["squawk"])]
    print_table(f"Lint of {args.count} migrations ({len(files)} files, {sizes / 1024:.0f} KiB, "
                f"{statements} findings)", rows, load_before=load_before, runs=args.repeat)
    if not squawk:
        print("  squawk: not installed, no row (pip install -e '.[bench]')")


if __name__ == "__main__":
    main()
