"""The sim data plane: real databases behind moto's RDS instances and snapshots, driven by
plain boto3 calls (as a test or the awscli would make them), not only by the harness."""

from __future__ import annotations

import psycopg
import pytest

from harness.backend.sim.dataplane import DataPlane, database_name
from harness.io.db import fingerprint as fp
from harness.io.db.fingerprint import DatabaseUnreachable
from harness.io.db.providers import PostgresServer
from harness.rollback.datacheck import compare
from harness.world import World


def count(dsn: str, table: str = "documents") -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def insert_document(dsn: str, doc_id: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO documents VALUES (%s, 1, 'late', 'late', now())", (doc_id,))


def restore(world: World, snapshot: str, instance: str) -> str:
    """Restore with a bare boto3 call and return the DSN its endpoint resolves to."""
    rds = world.client("staging", "rds")
    out = rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier=instance,
                                                   DBSnapshotIdentifier=snapshot)["DBInstance"]
    return world.databases.endpoint_dsn(world.tier("staging"), out["Endpoint"]["Address"], 5432)


def test_every_instance_is_a_seeded_database(world: World) -> None:
    source = world.databases.source_dsn(world.tier("staging"))
    assert count(source) == 2000
    assert count(world.databases.source_dsn(world.tier("prod"))) == 2000


def test_a_snapshot_freezes_the_data_at_that_instant(world: World) -> None:
    source = world.databases.source_dsn(world.tier("staging"))
    insert_document(source, 10_001)
    world.client("staging", "rds").create_db_snapshot(
        DBInstanceIdentifier="invapp-staging-postgres", DBSnapshotIdentifier="frozen")
    insert_document(source, 10_002)
    copy = restore(world, "frozen", "invapp-staging-postgres-copy")
    assert count(copy) == 2001 and count(source) == 2002
    assert copy != source


def test_the_restored_endpoint_resolves_to_its_own_database(world: World) -> None:
    rds = world.client("staging", "rds")
    rds.create_db_snapshot(DBInstanceIdentifier="invapp-staging-postgres", DBSnapshotIdentifier="s")
    copy = restore(world, "s", "copy-a")
    insert_document(copy, 20_000)
    assert count(copy) == 2001
    assert count(world.databases.source_dsn(world.tier("staging"))) == 2000


def test_same_instance_id_in_two_accounts_never_shares_data() -> None:
    assert database_name("instance", "760007728097", "db", "ab12") != database_name(
        "instance", "961381384763", "db", "ab12")
    assert len(database_name("instance", "961381384763", "x" * 63, "ab12cd34")) <= 63


def test_deleting_drops_the_databases_and_the_endpoint_stops_resolving(
        world: World, dataplane: DataPlane) -> None:
    rds = world.client("staging", "rds")
    rds.create_db_snapshot(DBInstanceIdentifier="invapp-staging-postgres", DBSnapshotIdentifier="s")
    restore(world, "s", "copy-b")
    before = set(dataplane.databases())
    rds.delete_db_instance(DBInstanceIdentifier="copy-b", SkipFinalSnapshot=True)
    rds.delete_db_snapshot(DBSnapshotIdentifier="s")
    gone = before - set(dataplane.databases())
    assert {n.split("_", 3)[3] for n in gone} == {"copy_b", "s"}
    with pytest.raises(DatabaseUnreachable, match="no database answers for RDS instance copy-b"):
        world.databases.endpoint_dsn(world.tier("staging"), "copy-b.x.rds.amazonaws.com", 5432)


def test_corrupt_restore_fault_changes_the_copy_but_not_the_snapshot(
        world: World, dataplane: DataPlane) -> None:
    source = world.databases.source_dsn(world.tier("staging"))
    expected = fp.fingerprint(source)
    world.client("staging", "rds").create_db_snapshot(
        DBInstanceIdentifier="invapp-staging-postgres", DBSnapshotIdentifier="s")
    dataplane.faults = frozenset({"corrupt-restore"})
    bad = restore(world, "s", "bad-copy")
    dataplane.faults = frozenset()
    good = restore(world, "s", "good-copy")
    assert compare(expected, fp.fingerprint(good)) == ()
    diffs = compare(expected, fp.fingerprint(bad))
    assert [d.table for d in diffs] == ["public.documents"]
    assert "1999 rows, expected 2000" in diffs[0].describe()


def test_runs_sharing_one_postgresql_never_touch_each_others_databases(
        postgres: PostgresServer) -> None:
    """Two sims on one HARNESS_SIM_POSTGRES_DSN: each one's reset (between scenarios) and close
    drop only the databases carrying its own run token."""
    a, b = DataPlane(postgres, run="aaaa1111"), DataPlane(postgres, run="bbbb2222")
    made = {}
    for plane in (a, b):
        plane.prewarm()
        plane.ready()
        made[plane.run] = plane.name("instance", "961381384763", "invapp-staging-postgres")
        postgres.create_database(made[plane.run], template=plane.seed_database)
    try:
        b.reset()
        assert sorted(a.databases()) == sorted([made["aaaa1111"], a.seed_database])
        assert b.databases() == [b.seed_database]
        b.reset(seed=True)
        assert b.databases() == [] and len(a.databases()) == 2
    finally:
        a.reset(seed=True)
        b.reset(seed=True)
    assert a.databases() == []


def test_after_a_reset_an_instance_is_a_spare_copy_of_the_seed_made_ahead(
        postgres: PostgresServer) -> None:
    """The copy an instance gets after a reset was made in the background while the last
    scenario ran (a rename, not a CREATE DATABASE inside the next one); it is the seed's data,
    whatever the last scenario wrote; and a shared server keeps no spare after close."""
    plane = DataPlane(postgres, run="cccc3333")
    name = plane.name("instance", "961381384763", "invapp-staging-postgres")
    plane._pending = {name}  # what moto's create_db_instance hook records
    plane.mark_baseline()
    plane.prewarm()
    plane.ready()
    try:
        dsn = plane.instance_dsn("961381384763", "invapp-staging-postgres")
        insert_document(dsn, 30_000)
        assert count(dsn) == 2001
        plane.reset()
        [spare] = plane._spares.names()  # made ahead, kept by the reset
        assert spare in plane.databases()
        assert count(plane.instance_dsn("961381384763", "invapp-staging-postgres")) == 2000
        assert spare not in plane.databases() and name in plane.databases()
    finally:
        plane.reset(seed=True)
    assert plane.databases() == []
