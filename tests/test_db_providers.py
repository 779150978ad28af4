"""PostgreSQL providers and the pg_dump finder, against a real server."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from harness.errors import ConfigError, HarnessError
from harness.io.db import providers
from harness.io.db.dump import dump_schema
from harness.io.db.providers import (
    PgDump,
    PostgresServer,
    docker_available,
    find_pg_dump,
    open_postgres,
    pg_dump_candidates,
    pg_dump_major,
)

OLD_PG_DUMP = "/usr/bin/pg_dump"


def old_pg_dump() -> PgDump:
    """A pg_dump older than the embedded server (15 on this machine's Debian), if any."""
    if shutil.which(OLD_PG_DUMP) is None:
        pytest.skip(f"{OLD_PG_DUMP} is not installed")
    major = pg_dump_major(OLD_PG_DUMP)
    if major >= 16:
        pytest.skip(f"{OLD_PG_DUMP} is version {major}, not older than the server")
    return PgDump(OLD_PG_DUMP, major)


def test_without_docker_the_embedded_server_is_used(postgres: PostgresServer) -> None:
    started = time.monotonic()
    answered = docker_available()
    assert time.monotonic() - started < 5
    if not answered:
        assert postgres.kind == "embedded"
    assert postgres.server_major >= 16


def test_an_unreachable_docker_engine_is_a_quiet_no(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    assert docker_available() is False
    assert capsys.readouterr() == ("", "")


def test_without_docker_host_or_socket_the_client_is_not_even_imported() -> None:
    if Path(providers._DOCKER_SOCKET).exists():
        pytest.skip(f"{providers._DOCKER_SOCKET} exists on this machine")
    code = ("import os, sys; os.environ.pop('DOCKER_HOST', None)\n"
            "from harness.io.db.providers import docker_available\n"
            "print(docker_available(), 'docker' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"], done.stdout + done.stderr


def requested_checkpoints(postgres: PostgresServer) -> int:
    query = ("SELECT num_requested FROM pg_stat_checkpointer" if postgres.server_major >= 17
             else "SELECT checkpoints_req FROM pg_stat_bgwriter")
    with psycopg.connect(postgres.dsn("postgres"), autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(str(row[0]))


@pytest.mark.parametrize("file_copy", [False, True], ids=["wal-log", "file-copy"])
def test_create_from_template_and_drop(postgres: PostgresServer, file_copy: bool,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # A template at least this large is copied file by file, which asks for a checkpoint.
    monkeypatch.setattr(providers, "_FILE_COPY_FROM_BYTES", 0 if file_copy else 2**62)
    source = postgres.create_database("prov_source", template="template0")
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)")
    before = requested_checkpoints(postgres)
    copy = postgres.create_database("prov_copy", template="prov_source")
    assert (requested_checkpoints(postgres) > before) == file_copy
    with psycopg.connect(copy) as conn:
        assert conn.execute("SELECT id FROM kept").fetchall() == [(7,)]
        assert conn.execute("SELECT current_database()").fetchone() == ("prov_copy",)
    postgres.drop_database("prov_source")
    postgres.drop_database("prov_copy")
    postgres.drop_database("prov_copy")  # IF EXISTS: a second drop is fine


def test_drop_ends_open_connections_first(postgres: PostgresServer) -> None:
    dsn = postgres.create_database("prov_busy", template="template0")
    holder = psycopg.connect(dsn)
    try:
        postgres.drop_database("prov_busy")
    finally:
        holder.close()
    with psycopg.connect(postgres.dsn("postgres")) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = 'prov_busy'"
                            ).fetchone() == (0,)


def test_creating_an_existing_database_names_it(postgres: PostgresServer) -> None:
    with pytest.raises(HarnessError, match="could not create database 'postgres'"):
        postgres.create_database("postgres")


def test_an_explicit_dsn_is_used_as_is_and_not_stopped(postgres: PostgresServer) -> None:
    server = open_postgres(postgres.dsn("postgres"))
    assert server.kind == "dsn" and server.server_major == postgres.server_major
    server.close()
    with psycopg.connect(postgres.dsn("postgres")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_an_unreachable_dsn_is_a_config_error_without_the_password() -> None:
    with pytest.raises(ConfigError) as err:
        open_postgres("postgresql://app:s3cr3t-pw@127.0.0.1:1/appdb?connect_timeout=2")
    assert "s3cr3t-pw" not in str(err.value)
    assert "cannot connect" in str(err.value) and "***" in str(err.value)


def test_embedded_server_stops_on_close_and_close_is_idempotent() -> None:
    server = open_postgres(use_docker=False)
    dsn = server.dsn("postgres")
    data_dir = Path(conninfo_to_dict(dsn)["host"])
    assert server.kind == "embedded" and data_dir.is_dir()
    server.close()
    server.close()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2)
    assert not data_dir.exists()


def test_finder_picks_a_pg_dump_at_least_as_new_as_the_server(postgres: PostgresServer) -> None:
    old = old_pg_dump()
    bundled = postgres.pg_dump()
    assert bundled.major >= postgres.server_major
    chosen = find_pg_dump(16, candidates=[old.path, bundled.path])
    assert chosen == bundled
    assert find_pg_dump(old.major, candidates=[old.path, bundled.path]).path == old.path
    assert old.path in pg_dump_candidates()


def test_finder_names_both_versions_when_none_is_new_enough(postgres: PostgresServer) -> None:
    old = old_pg_dump()
    with pytest.raises(ConfigError) as err:
        find_pg_dump(99, candidates=[old.path, postgres.pg_dump().path])
    message = str(err.value)
    assert "version 99 server" in message and f"(version {old.major})" in message
    assert "install pg_dump 99 or newer" in message


def test_a_configured_pg_dump_that_is_too_old_is_refused(postgres: PostgresServer) -> None:
    old = old_pg_dump()
    server = PostgresServer("dsn", postgres.dsn("postgres"), pg_dump_path=old.path)
    with pytest.raises(ConfigError, match=f"version {old.major}, older than the server's 16"):
        server.pg_dump()


def test_dumping_with_an_older_pg_dump_is_an_error_never_a_silent_pass(
        postgres: PostgresServer) -> None:
    old = old_pg_dump()
    with pytest.raises(ConfigError) as err:
        dump_schema(postgres.dsn("postgres"), old)
    assert f"pg_dump {old.major} is older than the server" in str(err.value)
    assert "server version: 16" in str(err.value)


def test_a_prestarted_server_is_what_the_next_open_returns_and_is_stopped_if_unclaimed() -> None:
    providers.prestart()
    server = open_postgres()
    assert server.kind == "embedded"
    with psycopg.connect(server.dsn("postgres")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert providers._claim_prestarted() is None  # claimed once, not handed out twice
    server.close()
    providers.prestart()
    unclaimed = providers._prestarted
    assert unclaimed is not None
    dsn = unclaimed.result().dsn("postgres")
    providers._close_unclaimed()  # what runs at exit
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2)
