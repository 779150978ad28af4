"""The DB-host secret, the sim app's tasks that read it when they start, and the repoint: a
secret change alone changes nothing served; only a new deployment that replaced the old tasks
does, and only then is a repoint recovered."""

from __future__ import annotations

import json

import pytest

from harness import clock
from harness.backend.sim import SimBackend
from harness.backend.sim.dataplane import DataPlane
from harness.clock import poll_until
from harness.drill.data_restore import repoint_app
from harness.errors import ConfigError
from harness.io.aws import rds
from harness.io.aws import secrets as db_secret
from harness.io.http.health import HealthClient
from harness.rollback.recovery import service
from harness.rollback.rollout import json_path
from harness.undo.replay import replay
from harness.undo.store import UndoLog
from harness.world import World

# The sim's rollout latencies pass on a virtual clock: these tests are about what recovers,
# not how long it takes (tests/test_layer1.py measures that in real time).
pytestmark = pytest.mark.usefixtures("virtual_time")
DB_PATH = "database.host"


def test_secret_shapes_are_kept_on_update() -> None:
    plain = db_secret.parse_db_host("db.example.com\n")
    assert (plain.host, plain.port) == ("db.example.com", None)
    assert db_secret.render_db_host(plain, "new.example.com", 5432) == "new.example.com"
    shaped = db_secret.parse_db_host('{"host": "db", "port": 5432, "engine": "postgres"}')
    assert json.loads(db_secret.render_db_host(shaped, "new", 6543)) == {
        "host": "new", "port": 6543, "engine": "postgres"}
    with pytest.raises(ConfigError, match="without a string 'host'"):
        db_secret.parse_db_host('{"hostname": "db"}')


def served_database(health: HealthClient) -> str:
    return str(json_path(health.deep_health().body, DB_PATH))


def test_a_secret_change_alone_changes_nothing_a_new_deployment_does(
        world: World, sim_backend: SimBackend) -> None:
    health = HealthClient(world.tier("staging"))
    own = served_database(health)
    assert own.startswith("invapp-staging-postgres.") and health.deep_health().ok
    db_secret.write_db_host(world, "staging", "nowhere.aaaaaaaaaa.us-east-1.rds.amazonaws.com", None)
    # Longer than a rollout: still nothing changed, the tasks read the secret at their start.
    clock.sleep(sim_backend.options.rollout_latency_s + sim_backend.options.deregistration_delay_s)
    assert served_database(health) == own and health.deep_health().ok
    ecs = service(world, "staging")
    ecs.swap(ecs.current())
    moved = poll_until(lambda: health.deep_health(), lambda p: "nowhere." in json.dumps(p.body),
                       interval=0.05, deadline_s=world.topology.application_deadline)
    assert moved.succeeded and moved.last is not None and not moved.last.ok
    assert "database at nowhere." in json.dumps(moved.last.body)


def test_the_old_check_passes_on_the_old_database_the_new_one_waits_for_the_deployment(
        world: World, sim_backend: SimBackend) -> None:
    """The check before ECS-faithful recovery (deep health ok N times in a row on the same
    SHA) declared a repoint recovered within a few polls, while every answer still came from
    the old tasks on the old database. The check now waits for the deployment."""
    latency = sim_backend.options.rollout_latency_s
    snap = rds.take_snapshot(world, "staging", "s-old-check", {"harness:drill-id": "d-o"})
    copy = rds.restore_to_new_instance(world, "staging", snap.id, "copy-o",
                                       {"harness:drill-id": "d-o"})
    assert copy.host
    health = HealthClient(world.tier("staging"))
    ecs = service(world, "staging")
    current = ecs.current()
    db_secret.write_db_host(world, "staging", copy.host, copy.port)
    t0 = clock.monotonic()
    ecs.swap(current)
    readings = []
    old = poll_until(lambda: readings.append(health.read()) or readings[-3:],
                     lambda last: len(last) == 3 and all(r.running(current.sha) for r in last),
                     interval=world.topology.application_poll_s, deadline_s=latency)
    took = clock.monotonic() - t0
    assert old.succeeded and took < latency, "the old check did not pass before the rollout"
    assert all(not str(json_path(r.health.body, DB_PATH)).startswith("copy-o.")
               for r in readings), "an answer came from the restored database already"
    # The check in force: measured from its own swap, recovered only on the copy.
    outcome = repoint_app(world, "staging", copy.host, copy.port, name="repoint")
    assert outcome.healthy and "copy-o." in outcome.detail, outcome.detail
    assert served_database(health).startswith("copy-o.")
    replay(world, "staging", "d-o")


def test_repoint_then_replay_puts_the_app_back_and_removes_the_copy(
        world: World, dataplane: DataPlane) -> None:
    snap = rds.take_snapshot(world, "staging", "s-repoint", {"harness:drill-id": "d-r"})
    inst = rds.restore_to_new_instance(world, "staging", snap.id, "copy-r", {"harness:drill-id": "d-r"})
    assert inst.host
    undo = UndoLog(world, "staging", "d-r", "drill")
    outcome = repoint_app(world, "staging", inst.host, inst.port, undo=undo)
    assert outcome.healthy and outcome.healthy_at is not None
    assert db_secret.read_db_host(world, "staging").host == inst.host
    summary = replay(world, "staging", "d-r")
    assert summary.complete, summary.lines()
    text = "\n".join(summary.lines())
    assert "DB-host secret: pointed invapp-staging/db-host back at invapp-staging-postgres." in text
    assert "restored instances: deleted copy-r" in text and "snapshots: deleted s-repoint" in text
    assert db_secret.read_db_host(world, "staging").host.startswith("invapp-staging-postgres.")
    health = HealthClient(world.tier("staging"))
    assert health.deep_health().ok and served_database(health).startswith("invapp-staging-postgres.")
    again = replay(world, "staging", "d-r")
    assert again.complete and not again.found_anything
    assert again.lines()[-1].startswith("nothing drill d-r changed was left on tier staging")
