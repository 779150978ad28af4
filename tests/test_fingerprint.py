"""Fingerprints, canaries and the copy verdict, on real PostgreSQL databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from harness.errors import CheckFailed
from harness.io.db import fingerprint as fp
from harness.io.db.endpoints import DsnDatabases
from harness.io.db.fingerprint import DatabaseUnreachable
from harness.io.db.providers import PostgresServer
from harness.rollback.datacheck import (
    AFTER,
    BEFORE,
    CANARY_TABLE,
    Fingerprint,
    TableFingerprint,
    compare,
    judge,
)
from harness.topology import Tier


@pytest.fixture(scope="module")
def _pair(postgres: PostgresServer) -> Iterator[tuple[str, str]]:
    names = tuple(f"fp_{uuid.uuid4().hex[:10]}" for _ in range(2))
    dsns = tuple(postgres.create_database(n, template="template0") for n in names)
    yield dsns[0], dsns[1]
    for name in names:
        postgres.drop_database(name)


@pytest.fixture
def scratch(_pair: tuple[str, str]) -> tuple[str, str]:
    """Two empty databases (one pair per module, emptied for each test: cheaper than new ones)."""
    for dsn in _pair:
        with psycopg.connect(dsn, autocommit=True) as conn:
            schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                                   "AND nspname <> 'information_schema'").fetchall()
            for (schema,) in schemas:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(str(schema))))
            conn.execute("CREATE SCHEMA public")
    return _pair


def run(dsn: str, *statements: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for stmt in statements:
            conn.execute(stmt.encode())


TABLE = "CREATE TABLE t (id int, v text)"


def digests(dsn: str, *, modern: bool) -> dict[str, str]:
    """Each table's digest with the row hash PostgreSQL 14+ uses (``modern``) or the fallback
    for older servers, both run here on the same server."""
    with psycopg.connect(dsn) as conn:
        found = {}
        for table in fp.user_tables(conn):
            row = conn.execute(fp.table_query(table, modern=modern)).fetchone()
            assert row is not None
            found[table.qualified] = fp.table_digest(table, str(row[1]))
    return found


def test_the_hash_ignores_row_order_but_not_content_or_duplicates(scratch: tuple[str, str]) -> None:
    a, b = scratch
    run(a, TABLE, "INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z')")
    run(b, TABLE, "INSERT INTO t VALUES (3, 'z'), (1, 'x'), (2, 'y')")
    assert fp.fingerprint(a).tables == fp.fingerprint(b).tables
    run(b, "UPDATE t SET v = 'Y' WHERE id = 2")
    (diff,) = compare(fp.fingerprint(a), fp.fingerprint(b))
    assert diff.describe() == "public.t: same 3 rows but different content (hash)"
    run(a, "INSERT INTO t VALUES (1, 'x')")
    run(b, "UPDATE t SET v = 'y' WHERE id = 2", "INSERT INTO t VALUES (2, 'y')")
    assert fp.fingerprint(a).rows == fp.fingerprint(b).rows == 4
    assert fp.fingerprint(a) != fp.fingerprint(b), "duplicated rows must not cancel out"


# Settings that make PostgreSQL read even a small table with parallel workers.
PARALLEL = "-c parallel_setup_cost=0 -c parallel_tuple_cost=0 -c min_parallel_table_scan_size=0"


def test_parallel_workers_and_another_physical_order_give_the_same_fingerprint(
        scratch: tuple[str, str]) -> None:
    a, b = scratch
    fill = ("INSERT INTO big SELECT g, repeat(md5(g::text), 4), g * 1.5 "
            "FROM generate_series(1, 20000) g ORDER BY g {}")
    for dsn, order in ((a, "ASC"), (b, "DESC")):
        run(dsn, "CREATE TABLE big (id bigint, body text, amount numeric)", fill.format(order),
            "ANALYZE big")
    parallel_a, parallel_b = (make_conninfo(dsn, options=PARALLEL) for dsn in (a, b))
    with psycopg.connect(parallel_a) as conn:
        (table,) = fp.user_tables(conn)
        plan = conn.execute(sql.SQL("EXPLAIN ") + fp.table_query(table)).fetchall()
    assert any("Parallel Seq Scan" in str(line[0]) for line in plan), plan
    # The workers' partial sums add up to what one backend reading the other order finds.
    assert fp.fingerprint(parallel_a).tables == fp.fingerprint(b).tables
    run(b, "UPDATE big SET body = body WHERE id % 7 = 0")  # moves rows to the table's end
    assert fp.fingerprint(parallel_a).tables == fp.fingerprint(parallel_b).tables
    run(b, "UPDATE big SET amount = 1.50 WHERE id = 1")  # the same value, another scale
    (diff,) = compare(fp.fingerprint(parallel_a), fp.fingerprint(parallel_b))
    assert diff.table == "public.big" and diff.actual and diff.actual.rows == 20000


# Pairs of tables holding the same number of rows that an exact fingerprint tells apart.
TOLD_APART = {
    "one value": ("INSERT INTO t VALUES (1, 'x'), (2, 'y')", "INSERT INTO t VALUES (1, 'x'), (2, 'Y')"),
    "NULL vs empty string": ("INSERT INTO t VALUES (1, NULL)", "INSERT INTO t VALUES (1, '')"),
    "NULL in another column": ("INSERT INTO t VALUES (NULL, '1')", "INSERT INTO t VALUES (1, NULL)"),
    "a duplicated row": ("INSERT INTO t VALUES (1, 'x'), (1, 'x'), (2, 'y')",
                         "INSERT INTO t VALUES (1, 'x'), (2, 'y'), (2, 'y')"),
    "duplicated pairs": ("INSERT INTO t VALUES (1, 'x'), (1, 'x'), (3, 'z')",  # XOR would cancel them
                         "INSERT INTO t VALUES (2, 'y'), (2, 'y'), (3, 'z')"),
    "rows swapping a value": ("INSERT INTO t VALUES (1, 'x'), (2, 'y')",
                              "INSERT INTO t VALUES (1, 'y'), (2, 'x')"),
}
TOLD_APART_TYPED = {
    # PostgreSQL's own bigint hash folds the high half onto the low half: 1 and 2^32 collide.
    "bigint high bits": ("CREATE TABLE t (v bigint)", "INSERT INTO t VALUES (1)",
                         "CREATE TABLE t (v bigint)", "INSERT INTO t VALUES (4294967296)"),
    "numeric scale": ("CREATE TABLE t (v numeric)", "INSERT INTO t VALUES (1.0)",
                      "CREATE TABLE t (v numeric)", "INSERT INTO t VALUES (1.00)"),
    "column type": ("CREATE TABLE t (id int, v text)", "INSERT INTO t VALUES (1, 'x')",
                    "CREATE TABLE t (id bigint, v text)", "INSERT INTO t VALUES (1, 'x')"),
    "text vs varchar": ("CREATE TABLE t (v text)", "INSERT INTO t VALUES ('x')",  # same bytes sent
                        "CREATE TABLE t (v varchar)", "INSERT INTO t VALUES ('x')"),
    "column name": ("CREATE TABLE t (id int, v text)", "INSERT INTO t VALUES (1, 'x')",
                    "CREATE TABLE t (id int, w text)", "INSERT INTO t VALUES (1, 'x')"),
    "no send function": ("CREATE TABLE t (v aclitem)", "INSERT INTO t VALUES ('postgres=r/postgres')",
                         "CREATE TABLE t (v aclitem)", "INSERT INTO t VALUES ('postgres=w/postgres')"),
    "quoted names": ('CREATE TABLE t ("Odd ""col""" text)', "INSERT INTO t VALUES ('a')",
                     'CREATE TABLE t ("Odd ""col""" text)', "INSERT INTO t VALUES ('b')"),
}


@pytest.mark.parametrize("modern", [True, False], ids=["pg14+", "older"])
@pytest.mark.parametrize("case", sorted(TOLD_APART) + sorted(TOLD_APART_TYPED))
def test_the_digest_tells_apart_what_a_faithful_copy_must_keep(
        scratch: tuple[str, str], case: str, modern: bool) -> None:
    a, b = scratch
    if case in TOLD_APART:
        left, right = TOLD_APART[case]
        run(a, TABLE, left)
        run(b, TABLE, right)
    else:
        create_a, insert_a, create_b, insert_b = TOLD_APART_TYPED[case]
        run(a, create_a, insert_a)
        run(b, create_b, insert_b)
    assert fp.fingerprint(a).rows == fp.fingerprint(b).rows
    assert digests(a, modern=modern) != digests(b, modern=modern)
    run(b, "DELETE FROM t", "DROP TABLE t", create_a if case in TOLD_APART_TYPED else TABLE,
        insert_a if case in TOLD_APART_TYPED else left)
    assert digests(a, modern=modern) == digests(b, modern=modern), "the same data, the same digest"


def test_the_fingerprint_uses_the_fast_row_hash_on_this_server(scratch: tuple[str, str]) -> None:
    a, _ = scratch
    run(a, TABLE, "INSERT INTO t VALUES (1, 'x'), (2, NULL)")
    assert {t.table: t.digest for t in fp.fingerprint(a).tables} == digests(a, modern=True)


def test_a_table_without_columns_still_counts_its_rows(scratch: tuple[str, str]) -> None:
    a, b = scratch
    run(a, "CREATE TABLE e ()", "INSERT INTO e DEFAULT VALUES", "INSERT INTO e DEFAULT VALUES")
    run(b, "CREATE TABLE e ()", "INSERT INTO e DEFAULT VALUES")
    (diff,) = compare(fp.fingerprint(a), fp.fingerprint(b))
    assert diff.describe() == "public.e: 1 rows, expected 2"


def test_a_table_the_role_cannot_read_fails_naming_it(scratch: tuple[str, str]) -> None:
    a, _ = scratch
    run(a, TABLE, "DROP ROLE IF EXISTS fp_reader", "CREATE ROLE fp_reader LOGIN",
        "GRANT USAGE ON SCHEMA public TO fp_reader")
    try:
        with pytest.raises(CheckFailed) as caught:
            fp.fingerprint(make_conninfo(a, user="fp_reader"), "restored instance r1")
        text = caught.value.render()
        assert "could not fingerprint table public.t" in text and "NOT verified" in text
    finally:
        run(a, "DROP TABLE t", "DROP OWNED BY fp_reader", "DROP ROLE fp_reader")


def test_every_schema_and_missing_tables_are_reported(scratch: tuple[str, str]) -> None:
    a, b = scratch
    run(a, TABLE, "CREATE SCHEMA app", "CREATE TABLE app.u (k int)", "INSERT INTO app.u VALUES (1)")
    run(b, TABLE, "CREATE TABLE extra (k int)")
    described = [d.describe() for d in compare(fp.fingerprint(a), fp.fingerprint(b))]
    assert described == ["app.u: missing from the copy", "public.extra: only in the copy (0 rows)"]


def test_canary_rows_are_written_read_and_removed_with_their_table(scratch: tuple[str, str]) -> None:
    a, _ = scratch
    assert fp.canary_markers(a, "d1") == frozenset()
    fp.write_canary(a, "d1", BEFORE)
    fp.write_canary(a, "d2", BEFORE)
    fp.write_canary(a, "d1", AFTER)
    assert fp.canary_markers(a, "d1") == {BEFORE, AFTER}
    assert fp.remove_canaries(a, "d1") == 2
    assert fp.canary_markers(a, "d2") == {BEFORE}
    assert fp.remove_canaries(a) == 1
    with psycopg.connect(a) as conn:
        row = conn.execute("SELECT to_regclass(%s)", (CANARY_TABLE,)).fetchone()
    assert row == (None,), "an empty canary table is dropped"


def test_verdict_names_each_problem() -> None:
    t = TableFingerprint("public.t", 3, "42")
    same = Fingerprint((t,))
    assert judge(same, same, frozenset({BEFORE})).ok
    bad = judge(same, Fingerprint((TableFingerprint("public.t", 2, "41"),)), frozenset({AFTER}))
    assert bad.problems() == [
        "public.t: 2 rows, expected 3",
        "the canary row written before the snapshot (before-snapshot) is missing",
        "the row written after the snapshot (after-snapshot) is present: the copy is not the "
        "snapshot"]
    assert judge(same, same, None).ok, "no canary written: only the fingerprint is judged"


def test_an_unreachable_database_says_not_verified_without_the_password() -> None:
    dsn = "postgresql://app:hunter2secret@127.0.0.1:1/app"
    with pytest.raises(DatabaseUnreachable) as caught:
        fp.fingerprint(dsn, "restored instance r1")
    text = caught.value.render()
    assert "restored instance r1 is not reachable" in text and "NOT verified" in text
    assert "hunter2secret" not in text


def test_real_tiers_take_the_dsn_from_the_environment_only() -> None:
    tier = Tier(name="staging", kind="aws", production=False, health_url="https://x",
                drill_enabled=True, db_instance="db", dsn_env="HARNESS_STAGING_DSN")
    with pytest.raises(DatabaseUnreachable, match="data path was NOT verified"):
        DsnDatabases({}).source_dsn(tier)
    dbs = DsnDatabases({"HARNESS_STAGING_DSN": "postgresql://u:p@localhost:6432/app"})
    restored = dbs.endpoint_dsn(tier, "db-restore-1.abc.us-east-1.rds.amazonaws.com", 5432)
    assert "host=db-restore-1.abc.us-east-1.rds.amazonaws.com" in restored and "port=5432" in restored
    tunnel = DsnDatabases({"HARNESS_STAGING_DSN": "postgresql://u:p@localhost:6432/app",
                           "HARNESS_STAGING_DSN_RESTORED": "postgresql://u:p@localhost:6433/app"})
    assert tunnel.endpoint_dsn(tier, "ignored", 5432).endswith(":6433/app")
