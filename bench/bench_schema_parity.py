"""Time the normalised schema parity check on two 1,000-table databases, and migra on the
same pair in the same run.

    python bench/bench_schema_parity.py [--tables 1000] [--dsn DSN] [--repeat 3]

Builds the schema (tables with indexes, foreign keys and views) in database A, copies it to
B with CREATE DATABASE ... TEMPLATE, then times `harness.io.db.dump.diff_databases(A, B)`
(two pg_dump runs, normalisation, comparison) and migra's `Migration(A, B)` + `inspect` +
`add_all_changes` on the same pair. migra is optional (pip install migra psycopg2-binary);
when it cannot be imported or run, the reason is printed and the harness figure stands.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict

from harness.io.db.dump import diff_databases
from harness.io.db.providers import PostgresServer, open_postgres
from harness.io.db.schema import compare, normalise


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


R = TypeVar("R")


def timed(action: Callable[[], R], repeat: int) -> tuple[list[float], R]:
    times = []
    for _ in range(repeat):
        started = time.monotonic()
        result = action()
        times.append(time.monotonic() - started)
    return times, result


def dump_text(dsn: str, pg_dump: str) -> str:
    return subprocess.run([pg_dump, "--schema-only", "--no-owner", "--no-privileges",
                           "--dbname", dsn], capture_output=True, text=True, check=True).stdout


def migra_url(dsn: str) -> str:
    """migra (SQLAlchemy + psycopg2) wants a URL; sockets go in the host query parameter."""
    p = conninfo_to_dict(dsn)
    auth = p.get("user", "postgres") + (f":{p['password']}" if p.get("password") else "")
    host = p.get("host", "")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--dsn", default=None, help="server to use (default: embedded)")
    parser.add_argument("--repeat", type=int, default=3)
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

        # Interleaved (ours, then migra, per round) so that a busy machine slows both alike,
        # after one untimed warm-up of each (imports, first connections, catalog caches).
        ours: list[float] = []
        theirs: list[float] = []
        migra_error = ""
        diff_databases(a, b)
        try:
            run_migra(a, b)
        except Exception as exc:  # optional tool: report why, keep our figure
            migra_error = f"{type(exc).__name__}: {exc}"
        for _ in range(args.repeat):
            took, result = timed(lambda: diff_databases(a, b), 1)
            ours += took
            if not migra_error:
                try:
                    took_migra, sql = timed(lambda: run_migra(a, b), 1)
                    theirs += took_migra
                except Exception as exc:  # optional tool: report why, keep our figure
                    migra_error = f"{type(exc).__name__}: {exc}"
        print(f"harness parity (2 x pg_dump + normalise + compare): best {min(ours):.3f} s, "
              f"median {statistics.median(ours):.3f} s over {args.repeat} runs; "
              f"verdict: {result.verdict.value}")
        pg_dump = server.pg_dump()
        raw = [dump_text(dsn, pg_dump.path) for dsn in (a, b)]
        pure, _ = timed(lambda: compare(normalise(raw[0]), normalise(raw[1])), args.repeat)
        print(f"  of which normalise + compare in Python: median "
              f"{statistics.median(pure):.3f} s ({len(raw[0]) / 1024:.0f} KiB of dump each)")
        if migra_error:
            print(f"migra: not measured ({migra_error})")
            return
        print(f"migra (inspect both + diff): best {min(theirs):.3f} s, "
              f"median {statistics.median(theirs):.3f} s over {args.repeat} runs; "
              f"empty diff: {not str(sql).strip()}")
        with psycopg.connect(b, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE t{args.tables // 2} ALTER COLUMN amount TYPE "
                         "numeric(14, 2)".encode())
        changed = diff_databases(a, b)
        print(f"sanity, one column type changed in B: harness says {changed.verdict.value}, "
              f"migra's diff is {'non-empty' if run_migra(a, b).strip() else 'EMPTY'}")
        ratios = [t / o for o, t in zip(ours, theirs, strict=True)]
        print(f"ratio migra / harness: {statistics.median(theirs) / statistics.median(ours):.2f}x "
              f"(medians); per round {', '.join(f'{r:.2f}' for r in ratios)}")
    finally:
        server.drop_database("bench_parity_a")
        server.drop_database("bench_parity_b")
        server.close()


if __name__ == "__main__":
    main()
