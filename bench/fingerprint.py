"""Data fingerprint throughput against `pg_dump --data-only | sha256sum` on the same
1,000,000-row table in the same run, and the sim's snapshot + restore time for that database.

Usage: python bench/fingerprint.py [ROWS] [RUNS]      (defaults: 1000000 rows, 3 runs)
Runs on the sim's own data plane (moto in-process + embedded PostgreSQL, set up as the sim
sets it up); every time is time.monotonic() around the real operation; medians printed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import boto3
import psycopg
from moto import mock_aws

from harness.backend.sim.dataplane import DataPlane
from harness.io.db.fingerprint import fingerprint
from harness.io.db.providers import open_postgres

ACCOUNT = "123456789012"
INSTANCE = "bench-postgres"
TABLE = "bench_rows"
LOAD = f"""
CREATE TABLE {TABLE} (id bigint PRIMARY KEY, org_id integer NOT NULL, title text NOT NULL,
                      body text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO {TABLE} SELECT g, g % 97, 'document ' || g, repeat(md5(g::text), 3),
       timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(1, %s) g;
ANALYZE {TABLE};
"""


def timed(fn: Callable[[], object]) -> float:
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def dump_sha256(pg_dump: str, dsn: str) -> str:
    dump = subprocess.Popen([pg_dump, "--data-only", "--table", f"public.{TABLE}", dsn],
                            stdout=subprocess.PIPE)
    digest = subprocess.run(["sha256sum"], stdin=dump.stdout, capture_output=True, text=True,
                            check=True).stdout.split()[0]
    assert dump.stdout is not None
    dump.stdout.close()
    if dump.wait() != 0:
        raise RuntimeError("pg_dump failed")
    return digest


def main(argv: list[str]) -> int:
    rows = int(argv[0]) if argv else 1_000_000
    runs = int(argv[1]) if len(argv) > 1 else 3
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})
    with mock_aws():
        plane = DataPlane(lambda: open_postgres(use_docker=False)).install()
        try:
            rds = boto3.client("rds")
            rds.create_db_instance(DBInstanceIdentifier=INSTANCE, Engine="postgres",
                                   DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                                   MasterUsername="app", MasterUserPassword="bench-only")
            dsn = plane.instance_dsn(ACCOUNT, INSTANCE)
            with psycopg.connect(dsn, autocommit=True) as conn:
                load_s = timed(lambda: conn.execute(LOAD.replace("%s", str(rows)).encode()))
                size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database())), "
                                    "pg_size_pretty(pg_total_relation_size(%s))",
                                    (TABLE,)).fetchone()
            assert size is not None
            pg_dump = plane.server.pg_dump()
            print(f"PostgreSQL {plane.server.server_major} ({plane.server.kind}), pg_dump "
                  f"{pg_dump.major}; {rows:,} rows loaded in {load_s:.1f} s; table {size[1]}, "
                  f"database {size[0]}; {os.cpu_count()} CPUs; {runs} runs, medians")
            fp_s, dump_s, snap_s, restore_s = [], [], [], []
            for i in range(runs):
                fp_s.append(timed(lambda: fingerprint(dsn)))
                dump_s.append(timed(lambda: dump_sha256(pg_dump.path, dsn)))
                snap_s.append(timed(lambda i=i: rds.create_db_snapshot(
                    DBInstanceIdentifier=INSTANCE, DBSnapshotIdentifier=f"bench-snap-{i}")))
                restore_s.append(timed(lambda i=i: rds.restore_db_instance_from_db_snapshot(
                    DBInstanceIdentifier=f"bench-restore-{i}",
                    DBSnapshotIdentifier=f"bench-snap-{i}")))
                rds.delete_db_instance(DBInstanceIdentifier=f"bench-restore-{i}",
                                       SkipFinalSnapshot=True)
                rds.delete_db_snapshot(DBSnapshotIdentifier=f"bench-snap-{i}")
                print(f"run {i + 1}: fingerprint {fp_s[-1]:.2f} s, pg_dump|sha256sum "
                      f"{dump_s[-1]:.2f} s, snapshot {snap_s[-1]:.2f} s, restore "
                      f"{restore_s[-1]:.2f} s", flush=True)
            fp, dump = statistics.median(fp_s), statistics.median(dump_s)
            print(f"fingerprint: {fp:.2f} s = {rows / fp:,.0f} rows/s")
            print(f"pg_dump --data-only | sha256sum: {dump:.2f} s = {rows / dump:,.0f} rows/s")
            print(f"ratio: fingerprint takes {fp / dump:.2f}x the time of pg_dump|sha256sum "
                  f"({dump / fp:.2f}x its throughput)")
            print(f"sim snapshot {statistics.median(snap_s):.2f} s + restore "
                  f"{statistics.median(restore_s):.2f} s = "
                  f"{statistics.median(snap_s) + statistics.median(restore_s):.2f} s")
        finally:
            plane.uninstall()
            plane.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
