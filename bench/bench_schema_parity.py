"""`harness schema diff` on two 1,000-table databases, against migra and against the floor
(the two `pg_dump --schema-only` runs it needs), all measured in one run.

    python bench/bench_schema_parity.py [--tables 1000] [--dsn DSN] [--repeat 5]

Builds the schema (tables with indexes, foreign keys, views) in database A and copies it to
B with CREATE DATABASE ... TEMPLATE. Each round, in turn: the floor (both pg_dump runs side
by side, as the harness runs them), the harness CLI as a subprocess (Python start-up and
imports included), and the migra CLI as a subprocess (its own start-up included). The
in-process figures (no start-up) follow. migra comes with the `bench` extra
(`pip install -e '.[bench]'`); when it cannot be run the reason is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
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


def timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def both_dumps(pg_dump: str, a: str, b: str) -> None:
    """The floor: the two dumps the harness needs, side by side."""
    args = [pg_dump, "--schema-only", "--no-owner", "--no-privileges",
            "--exclude-table=_migrations"]
    procs = [subprocess.Popen([*args, "--dbname", dsn], stdout=subprocess.DEVNULL)
             for dsn in (a, b)]
    if any(p.wait() != 0 for p in procs):
        raise SystemExit("pg_dump failed")


def cli(argv: list[str], ok: set[int]) -> Callable[[], None]:
    def run() -> None:
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode not in ok:
            raise RuntimeError(f"{argv[:4]} exit {done.returncode}: {done.stderr.strip()}")
    return run


def figure(name: str, times: list[float], floor: list[float]) -> str:
    med = statistics.median(times)
    return (f"  {name:<44} median {med:6.3f} s  best {min(times):6.3f} s  "
            f"= {med / statistics.median(floor):5.2f}x the floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--dsn", default=None, help="server to use (default: embedded)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    started = time.monotonic()
    server: PostgresServer = open_postgres(args.dsn, use_docker=False)
    print(f"server: {server.kind} PostgreSQL {server.server_major} "
          f"(ready in {time.monotonic() - started:.2f} s); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
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
        harness_cli_argv = [sys.executable, "-m", "harness.cli.main", "schema", "diff", a, b,
                            "--pg-dump", pg_dump]
        harness_cli = cli(harness_cli_argv, {0})
        migra_bin = shutil.which("migra", path=str(Path(sys.executable).parent))
        migra_cli = (cli([migra_bin, "--unsafe", migra_url(a), migra_url(b)], {0})
                     if migra_bin else None)
        contenders: dict[str, Callable[[], object]] = {
            "floor: 2 x pg_dump --schema-only, side by side": lambda: both_dumps(pg_dump, a, b),
            "harness schema diff (CLI, subprocess)": harness_cli,
            "harness diff_databases (in-process)": lambda: diff_databases(a, b),
        }
        problems: dict[str, str] = {}
        if migra_cli is None:
            problems["migra"] = "no migra script next to this Python (pip install -e '.[bench]')"
        else:
            contenders["migra (CLI, subprocess)"] = migra_cli
            contenders["migra Migration + add_all_changes (in-process)"] = (
                lambda: run_migra(a, b))
        # One untimed warm-up each (page cache, catalog caches, first imports), then rounds
        # interleaved so that a busy machine slows every contender alike.
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for round_ in range(args.repeat + 1):
            for name, action in contenders.items():
                if name in problems:
                    continue
                try:
                    took = timed(action)
                except Exception as exc:  # an optional tool failing: say why, keep the rest
                    problems[name] = f"{type(exc).__name__}: {exc}"
                    continue
                if round_:
                    times[name].append(took)
        floor = times["floor: 2 x pg_dump --schema-only, side by side"]
        print(f"{args.repeat} interleaved rounds after one warm-up (time.monotonic):")
        for name, measured in times.items():
            if measured:
                print(figure(name, measured, floor))
        for name, why in problems.items():
            print(f"  {name}: not measured ({why})")
        ours = times["harness schema diff (CLI, subprocess)"]
        theirs = times.get("migra (CLI, subprocess)", [])
        if ours and theirs:
            ratios = ", ".join(f"{t / o:.2f}" for o, t in zip(ours, theirs, strict=True))
            print(f"migra CLI / harness CLI: {statistics.median(theirs) / statistics.median(ours):.2f}x "
                  f"(medians); per round {ratios}")
        with psycopg.connect(b, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE t{args.tables // 2} ALTER COLUMN amount TYPE "
                         "numeric(14, 2)".encode())
        changed = diff_databases(a, b)
        seen = "not run" if "migra" in problems or migra_cli is None else (
            "non-empty" if run_migra(a, b).strip() else "EMPTY")
        print(f"sanity, one column type changed in B: harness says {changed.verdict.value} "
              f"({'; '.join(str(c) for c in changed.changes)}), migra's diff is {seen}")
        # A different pair cannot take the identical-text shortcut: every object is parsed.
        floor_b, cli_b = [], []
        for _ in range(args.repeat):
            floor_b.append(timed(lambda: both_dumps(pg_dump, a, b)))
            cli_b.append(timed(cli([*harness_cli_argv], {1})))
        print("the same pair with that one change (every object parsed and compared):")
        print(figure("floor: 2 x pg_dump --schema-only, side by side", floor_b, floor_b))
        print(figure("harness schema diff (CLI, subprocess)", cli_b, floor_b))
    finally:
        server.drop_database("bench_parity_a")
        server.drop_database("bench_parity_b")
        server.close()


if __name__ == "__main__":
    main()
