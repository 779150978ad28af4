"""The sim's per-scenario reset puts back the seeded world without seeding it again: whatever
a scenario changed in moto (in a seeded backend, in an account or region or service it was
the first to use) and in the databases is gone after ``reset``, every time, and the sessions
the sim assumed at its start still work."""

from __future__ import annotations

import psycopg

from harness.backend.sim import SimBackend
from harness.rollback.recovery import service
from harness.world import World


def rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM documents").fetchone()
    assert row is not None
    return int(row[0])


def scribble(world: World) -> None:
    """Change every kind of state a scenario can change."""
    ecs = service(world, "staging")
    ecs.swap(ecs.previous(ecs.current().number))
    world.client("staging", "ssm").put_parameter(Name="/scribble", Value="x", Type="String")
    world.client("staging", "ecr").create_repository(repositoryName="scribble")
    world.client("prod", "rds").create_db_snapshot(DBInstanceIdentifier="invapp-dev-postgres",
                                                   DBSnapshotIdentifier="scribble")
    # A region nothing was seeded in.
    world.session("staging").client("ecs", region_name="eu-west-1").create_cluster(
        clusterName="scribble")
    with psycopg.connect(world.databases.source_dsn(world.tier("staging")),
                         autocommit=True) as conn:
        conn.execute("DELETE FROM documents WHERE id <= 10")


def seen(world: World) -> dict[str, object]:
    """What ``scribble`` changes, as the API and the databases show it."""
    staging = world.client("staging", "ssm")
    return {
        "service": service(world, "staging").current_arn(),
        "parameters": [p["Name"] for p in staging.describe_parameters()["Parameters"]],
        "repositories": sorted(r["repositoryName"] for r in
                               world.client("staging", "ecr").describe_repositories()["repositories"]),
        "snapshots": [s["DBSnapshotIdentifier"] for s in world.client("prod", "rds")
                      .describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]],
        "eu clusters": world.session("staging").client("ecs", region_name="eu-west-1")
        .list_clusters()["clusterArns"],
        "rows": rows(world.databases.source_dsn(world.tier("staging"))),
    }


def test_reset_undoes_every_change_each_time(sim_backend: SimBackend) -> None:
    sim_backend.reset()
    world = World(sim_backend)
    seeded = seen(world)
    assert seeded["rows"] == 2000 and seeded["eu clusters"] == [] and seeded["snapshots"] == []
    for _ in range(2):  # the second round proves the first restore left the baseline intact
        scribble(world)
        assert seen(world) != seeded
        sim_backend.reset()
        world = World(sim_backend)
        assert seen(world) == seeded


def test_the_seeded_identifiers_and_the_apps_survive_a_reset(sim_backend: SimBackend) -> None:
    sim_backend.reset()
    world = World(sim_backend)
    before = {name: service(world, name).current_arn() for name in ("staging", "prod")}
    scribble(world)
    sim_backend.reset()
    world = World(sim_backend)
    after = {name: service(world, name).current_arn() for name in ("staging", "prod")}
    assert after == before == {t: s.task_definition_arns[-1]
                               for t, s in sim_backend.seeded.items()}
    # The apps read ECS through the sessions assumed at start: still the right account.
    for name, app in sim_backend.apps.items():
        assert app.running().arn == before[name]
