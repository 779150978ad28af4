"""The DB-host secret, the sim app's database check behind it, and the repoint."""

from __future__ import annotations

import json

import pytest

from harness.backend.sim.dataplane import DataPlane
from harness.drill.data_restore import reap, repoint_app
from harness.errors import ConfigError
from harness.io.aws import rds
from harness.io.aws import secrets as db_secret
from harness.io.http.health import HealthClient
from harness.world import World

# The sim's rollout latencies pass on a virtual clock: these tests are about what recovers,
# not how long it takes (tests/test_layer1.py measures that in real time).
pytestmark = pytest.mark.usefixtures("virtual_time")


def test_secret_shapes_are_kept_on_update() -> None:
    plain = db_secret.parse_db_host("db.example.com\n")
    assert (plain.host, plain.port) == ("db.example.com", None)
    assert db_secret.render_db_host(plain, "new.example.com", 5432) == "new.example.com"
    shaped = db_secret.parse_db_host('{"host": "db", "port": 5432, "engine": "postgres"}')
    assert json.loads(db_secret.render_db_host(shaped, "new", 6543)) == {
        "host": "new", "port": 6543, "engine": "postgres"}
    with pytest.raises(ConfigError, match="without a string 'host'"):
        db_secret.parse_db_host('{"hostname": "db"}')


def test_deep_health_follows_the_database_the_secret_names(world: World) -> None:
    health = HealthClient(world.tier("staging"))
    first = health.deep_health()
    assert first.ok and "connected to invapp-staging-postgres." in json.dumps(first.body)
    db_secret.write_db_host(world, "staging", "nowhere.aaaaaaaaaa.us-east-1.rds.amazonaws.com", None)
    broken = health.deep_health()
    assert not broken.ok and "database at nowhere." in json.dumps(broken.body)


def test_repoint_then_reap_puts_the_app_back_and_removes_the_copy(
        world: World, dataplane: DataPlane) -> None:
    snap = rds.take_snapshot(world, "staging", "s-repoint", {"harness:drill-id": "d-r"})
    inst = rds.restore_to_new_instance(world, "staging", snap.id, "copy-r", {"harness:drill-id": "d-r"})
    assert inst.host
    outcome = repoint_app(world, "staging", inst.host, inst.port)
    assert outcome.healthy and outcome.healthy_at is not None
    assert db_secret.read_db_host(world, "staging").host == inst.host
    reaped = reap(world, "staging", "d-r")
    assert reaped.repointed_back and reaped.repointed_back.startswith("invapp-staging-postgres.")
    assert reaped.removed.instances == ("copy-r",) and reaped.removed.snapshots == ("s-repoint",)
    assert db_secret.read_db_host(world, "staging").host.startswith("invapp-staging-postgres.")
    assert HealthClient(world.tier("staging")).deep_health().ok
