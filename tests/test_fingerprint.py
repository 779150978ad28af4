"""Fingerprints, canaries and the copy verdict, on real PostgreSQL databases."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from harness.backend.sim.dataplane import DataPlane
from harness.io.db import fingerprint as fp
from harness.io.db.endpoints import DsnDatabases
from harness.io.db.fingerprint import DatabaseUnreachable
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


@pytest.fixture
def scratch(dataplane: DataPlane) -> Iterator[tuple[str, str]]:
    """Two empty databases on the sim's server."""
    names = ("fp_scratch_a", "fp_scratch_b")
    for name in names:
        dataplane.server.drop_database(name)
    dsns = tuple(dataplane.server.create_database(n) for n in names)
    yield dsns[0], dsns[1]
    for name in names:
        dataplane.server.drop_database(name)


def run(dsn: str, *statements: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for stmt in statements:
            conn.execute(stmt.encode())


TABLE = "CREATE TABLE t (id int, v text)"


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
