"""`harness schema diff` on two 1,000-table databases, against migra and against the floor
(the two `pg_dump --schema-only` runs it needs), all measured in one run.

    python bench/bench_schema_parity.py [--tables 1000] [--dsn DSN] [--repeat 5]

Builds the schema (tables with indexes, foreign keys, views) in database A and copies it to
B with CREATE DATABASE ... TEMPLATE. Each round, in turn: the floor (both pg_dump runs side
by side, as the harness runs them), the harness CLI as a subprocess (Python start-up and
imports included), the library call in this process, and migra as a CLI subprocess and in
this process. Then one column type is changed in B and the CLI is timed again against the
floor (a different pair is parsed object by object). migra comes with the `bench` extra
(`pip install -e '.[bench]'`); without it its rows are left out, saying so.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from figures import Row, load, print_table, process, rounds
from psycopg.conninfo import conninfo_to_dict

from harness.io.db.dump import diff_databases
from harness.io.db.providers import PostgresServer, open_postgres


def schema_sql(tables: int) -> str:
    parts = []
    for i in range(tables):
        fk = f",\n    parent_id bigint REFERENCES t{i - 1} (id)" if i else ""
        parts.append(
            f"CREATE TABLE t{i} (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL,\n"
            f"    amount numeric(12, 2) DEFAULT 0,\n    created_at timestamptz NOT NULL "
            f"DEFAULT now(),\n    tags text[]{fk}\n);\n"
            f"CREATE INDEX t{i}_name_idx ON t{i} (name);\n"
            f"CREATE UNIQUE INDEX t{i}_name_created_idx ON t{i} (name, created_at);\n")
        if i % 10 == 9:
            parts.append(f"CREATE VIEW v{i} AS SELECT id, name, amount FROM t{i} "
                         f"WHERE amount > 0;\n")
    return "".join(parts)


def migra_url(dsn: str) -> str:
    """migra (SQLAlchemy + psycopg2) wants a URL; sockets go in the host query parameter."""
    p = conninfo_to_dict(dsn)
    auth = str(p.get("user", "postgres")) + (f":{p['password']}" if p.get("password") else "")
    host = str(p.get("host", ""))
    if host.startswith("/"):
        return f"postgresql://{auth}@/{p['dbname']}?host={host}"
    return f"postgresql://{auth}@{host}:{p.get('port', 5432)}/{p['dbname']}"


def run_migra(a: str, b: str) -> str:
    from migra import Migration
    from sqlbag import S

    with S(migra_url(a)) as sa, S(migra_url(b)) as sb:
        migration = Migration(sa, sb)
        migration.set_safety(False)
        migration.add_all_changes()
        return str(migration.sql)


def both_dumps(pg_dump: str, a: str, b: str) -> None:
    """The floor: the two dumps the harness needs, side by side."""
    args = [pg_dump, "--schema-only", "--no-owner", "--no-privileges",
            "--exclude-table=_migrations"]
    procs = [subprocess.Popen([*args, "--dbname", dsn], stdout=subprocess.DEVNULL)
             for dsn in (a, b)]
    if any(p.wait() != 0 for p in procs):
        raise SystemExit("pg_dump failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--dsn", default=None, help="server to use (default: embedded)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    started = time.monotonic()
    server: PostgresServer = open_postgres(args.dsn, use_docker=False)
    print(f"server: {server.kind} PostgreSQL {server.server_major} "
          f"(ready in {time.monotonic() - started:.2f} s)")
    try:
        a = server.create_database("bench_parity_a", template="template0")
        started = time.monotonic()
        with psycopg.connect(a, autocommit=True) as conn, conn.transaction():
            conn.execute(schema_sql(args.tables).encode())
        build = time.monotonic() - started
        b = server.create_database("bench_parity_b", template="bench_parity_a")
        print(f"schema: {args.tables} tables, {2 * args.tables} indexes, "
              f"{args.tables - 1} foreign keys, {args.tables // 10} views "
              f"(built in {build:.2f} s)")
        pg_dump = server.pg_dump().path
        floor = "2 x pg_dump --schema-only, side by side"
        ours = [sys.executable, "-m", "harness.cli.main", "schema", "diff", a, b, "--pg-dump",
                pg_dump]
        actions: dict[str, Callable[[], object]] = {
            "floor": lambda: both_dumps(pg_dump, a, b),
            "cli": process(*ours),
            "library": lambda: diff_databases(a, b),
        }
        migra = shutil.which("migra", path=str(Path(sys.executable).parent))
        if migra:
            run_migra(a, b)  # fails here, before any timing, if migra cannot run
            actions["migra"] = process(migra, "--unsafe", migra_url(a), migra_url(b))
            actions["migra library"] = lambda: run_migra(a, b)
        load_before = load()
        for action in actions.values():  # one untimed warm-up each (caches, first imports)
            action()
        t = rounds(actions, args.repeat)
        rows = [Row("harness schema diff (CLI)", t["cli"], floor, t["floor"]),
                Row("diff_databases() in process", t["library"], floor, t["floor"])]
        if migra:
            rows += [Row("migra (CLI)", t["migra"], "harness schema diff (CLI)", t["cli"],
                         "ratio > 1: the harness is faster"),
                     Row("migra (CLI)", t["migra"], floor, t["floor"]),
                     Row("migra Migration + add_all_changes in process", t["migra library"],
                         floor, t["floor"])]
        print_table(f"Identical pair: {args.tables} tables each", rows,
                    load_before=load_before, runs=args.repeat)
        if not migra:
            print("  migra: not installed, no row (pip install -e '.[bench]')")

        with psycopg.connect(b, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE t{args.tables // 2} ALTER COLUMN amount TYPE "
                         "numeric(14, 2)".encode())
        changed = diff_databases(a, b)
        seen = ("non-empty" if run_migra(a, b).strip() else "EMPTY") if migra else "not run"
        print(f"\nsanity, one column type changed in B: harness says {changed.verdict.value} "
              f"({'; '.join(str(c) for c in changed.changes)}), migra's diff is {seen}")
        # A different pair cannot take the identical-text shortcut: every object is parsed.
        load_before = load()
        t = rounds({"floor": lambda: both_dumps(pg_dump, a, b),
                    "cli": process(*ours, ok=(1,))}, args.repeat)
        print_table("The same pair with that one change (every object parsed and compared)",
                    [Row("harness schema diff (CLI)", t["cli"], floor, t["floor"])],
                    load_before=load_before, runs=args.repeat)
    finally:
        server.drop_database("bench_parity_a")
        server.drop_database("bench_parity_b")
        server.close()


if __name__ == "__main__":
    main()
