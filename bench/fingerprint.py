"""The data fingerprint of a 1,000,000-row table against `pg_dump --data-only | sha256sum`
and against raw `COPY ... TO STDOUT` of the same table to nowhere; the sim's snapshot and
restore against the `CREATE DATABASE ... TEMPLATE` they are made of (both strategies,
PostgreSQL 15+). All measured in one run, on the 1 M-row database and on the sim's own
seed-sized one.

Usage: python bench/fingerprint.py [ROWS] [RUNS]      (defaults: 1000000 rows, 3 runs)
Runs on the sim's own data plane (moto in-process + embedded PostgreSQL, set up as the sim
sets it up). The raw COPY goes through `psql` (bundled beside pgserver's pg_dump) to
/dev/null: a C client, the fastest reader of the stream there is.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import psycopg
from figures import Row, print_table, process, rounds
from figures import load as machine_load
from moto import mock_aws
from psycopg import sql
from psycopg.conninfo import make_conninfo

from harness.backend.sim.dataplane import DataPlane
from harness.io.db import fingerprint as fp
from harness.io.db.providers import PostgresServer, open_postgres

ACCOUNT = "123456789012"
BIG, SMALL = "bench-postgres", "bench-seed-sized"
TABLE = "bench_rows"
# The seed's tables are dropped first: the database then holds exactly the data that pg_dump
# and COPY read.
LOAD = f"""
DROP SCHEMA public CASCADE;
CREATE SCHEMA public;
CREATE TABLE {TABLE} (id bigint PRIMARY KEY, org_id integer NOT NULL, title text NOT NULL,
                      body text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO {TABLE} SELECT g, g % 97, 'document ' || g, repeat(md5(g::text), 3),
       timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(1, %s) g;
ANALYZE {TABLE};
"""


def dump_sha256(pg_dump: str, dsn: str) -> None:
    dump = subprocess.Popen([pg_dump, "--data-only", dsn],
                            stdout=subprocess.PIPE)
    subprocess.run(["sha256sum"], stdin=dump.stdout, capture_output=True, check=True)
    assert dump.stdout is not None
    dump.stdout.close()
    if dump.wait() != 0:
        raise SystemExit("pg_dump failed")


def fingerprint_before_14(dsn: str) -> None:
    """The fingerprint as a server older than PostgreSQL 14 gets it (md5 of each row)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for table in fp.user_tables(conn):
            conn.execute(fp.table_query(table, modern=False)).fetchone()
        conn.execute("COMMIT")


def create_copy(server: PostgresServer, template: str, strategy: str) -> float:
    """Seconds to CREATE DATABASE ... TEMPLATE (the copy is dropped afterwards, untimed)."""
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        started = time.monotonic()
        conn.execute(sql.SQL("CREATE DATABASE bench_copy TEMPLATE {} STRATEGY {}").format(
            sql.Identifier(template), sql.SQL(strategy)))
        seconds = time.monotonic() - started
    server.drop_database("bench_copy")
    return seconds


def timed(fn: Callable[[], object]) -> float:
    started = time.monotonic()
    fn()
    return time.monotonic() - started


def snapshot_and_restore(rds: Any, instance: str, i: int) -> tuple[float, float]:
    """Seconds of the sim's create_db_snapshot and restore_db_instance_from_db_snapshot."""
    snap, copy = f"{instance}-snap-{i}", f"{instance}-copy-{i}"
    snap_s = timed(lambda: rds.create_db_snapshot(DBInstanceIdentifier=instance,
                                                  DBSnapshotIdentifier=snap))
    restore_s = timed(lambda: rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier=copy, DBSnapshotIdentifier=snap))
    rds.delete_db_instance(DBInstanceIdentifier=copy, SkipFinalSnapshot=True)
    rds.delete_db_snapshot(DBSnapshotIdentifier=snap)
    return snap_s, restore_s


def main(argv: list[str]) -> int:
    rows = int(argv[0]) if argv else 1_000_000
    runs = int(argv[1]) if len(argv) > 1 else 3
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})
    with mock_aws():
        plane = DataPlane(lambda: open_postgres(use_docker=False)).install()
        try:
            return bench(plane, rows, runs)
        finally:
            plane.uninstall()
            plane.close()


def bench(plane: DataPlane, rows: int, runs: int) -> int:
    rds = boto3.client("rds")
    for instance in (BIG, SMALL):
        rds.create_db_instance(DBInstanceIdentifier=instance, Engine="postgres",
                               DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                               MasterUsername="app", MasterUserPassword="bench-only")
    dsn = plane.instance_dsn(ACCOUNT, BIG)
    plane.instance_dsn(ACCOUNT, SMALL)  # the seed-sized copy, made now
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(LOAD.replace("%s", str(rows)).encode())
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size(%s)), "
                            "pg_size_pretty(pg_database_size(current_database())), "
                            "pg_size_pretty(pg_database_size(%s))", (TABLE, plane.seed_database)).fetchone()
    assert size is not None
    server = plane.server
    pg_dump = server.pg_dump()
    psql = str(Path(pg_dump.path).with_name("psql"))
    print(f"PostgreSQL {server.server_major} ({server.kind}), pg_dump {pg_dump.major}; "
          f"{rows:,} rows: table {size[0]}, database {size[1]}; seed-sized database {size[2]}")
    found = fp.fingerprint(dsn)
    if found.rows != rows:
        raise SystemExit(f"the fingerprint counted {found.rows} rows, not {rows}")

    # The same fingerprint without PostgreSQL's parallel workers: one backend, as the
    # baselines read.
    serial = make_conninfo(dsn, options="-c max_parallel_workers_per_gather=0")
    load_before = machine_load()
    copy = f"COPY public.{TABLE} TO STDOUT"
    t = rounds({
        "fingerprint": lambda: fp.fingerprint(dsn),
        "one backend": lambda: fp.fingerprint(serial),
        "dump": lambda: dump_sha256(pg_dump.path, dsn),
        "copy binary": process(psql, "-X", "-q", "-d", dsn, "-c", f"{copy} (FORMAT binary)"),
        "copy text": process(psql, "-X", "-q", "-d", dsn, "-c", copy),
        "before 14": lambda: fingerprint_before_14(dsn),
    }, runs)
    dump_row = "pg_dump --data-only | sha256sum"
    print_table(f"Data fingerprint of {rows:,} rows (the fingerprint runs on PostgreSQL's "
                "parallel workers; pg_dump and COPY read with one backend)", [
        Row("fingerprint", t["fingerprint"], dump_row, t["dump"], "goal <= 0.50x"),
        Row("fingerprint", t["fingerprint"], "raw COPY (binary) > /dev/null", t["copy binary"],
            "goal <= 1.30x"),
        Row("fingerprint", t["fingerprint"], "raw COPY (text) > /dev/null", t["copy text"]),
        Row("fingerprint, one backend", t["one backend"], "raw COPY (binary) > /dev/null",
            t["copy binary"]),
        Row("fingerprint, PostgreSQL < 14 form", t["before 14"], dump_row, t["dump"]),
    ], load_before=load_before, runs=runs)

    load_before = machine_load()
    big_db = plane.name("instance", ACCOUNT, BIG)
    results: dict[str, list[float]] = {}
    for i in range(runs):
        for label, instance, template in (("1M", BIG, big_db), ("seed", SMALL, plane.seed_database)):
            snap_s, restore_s = snapshot_and_restore(rds, instance, i)
            for name, seconds in ((f"{label} snapshot", snap_s), (f"{label} restore", restore_s),
                                  (f"{label} WAL_LOG", create_copy(server, template, "WAL_LOG")),
                                  (f"{label} FILE_COPY", create_copy(server, template, "FILE_COPY"))):
                results.setdefault(name, []).append(seconds)
    m = {name: statistics.median(found) for name, found in results.items()}
    print_table("Sim snapshot and restore vs the CREATE DATABASE ... TEMPLATE they are made of", [
        row for label, what in (("1M", f"{rows:,} rows, {size[1]}"), ("seed", f"seed, {size[2]}"))
        for row in (
            Row(f"sim snapshot ({what})", m[f"{label} snapshot"], "TEMPLATE, WAL_LOG",
                m[f"{label} WAL_LOG"]),
            Row(f"sim restore ({what})", m[f"{label} restore"], "TEMPLATE, WAL_LOG",
                m[f"{label} WAL_LOG"]),
            Row(f"TEMPLATE, FILE_COPY ({what})", m[f"{label} FILE_COPY"], "TEMPLATE, WAL_LOG",
                m[f"{label} WAL_LOG"]),
        )], load_before=load_before, runs=runs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
