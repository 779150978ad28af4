"""A throwaway embedded server starts from a copy of one cached initdb: the copy is a working
cluster, initdb runs once per cache, and a cache this user does not own alone, a cache turned
off or a half-made template from a killed start is never used."""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from harness.io.db import initdb_cache, scratch
from harness.io.db.providers import open_postgres

pytestmark = pytest.mark.slow


@pytest.fixture
def tmp_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Cache and embedded homes under a fresh folder of their own in the system's temporary
    folder (not under pytest's: another xdist worker resets its parents' modes, and pgserver's
    own user, when run as root, must traverse them)."""
    root = Path(tempfile.mkdtemp(prefix="harness-initdb-test-", dir=scratch.root()))
    monkeypatch.setenv(scratch.SCRATCH_ENV, str(root))
    monkeypatch.delenv(initdb_cache.CACHE_ENV, raising=False)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def count_initdb(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every initdb run, the cache's and pgserver's own."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver.postgres_server as server_mod

    runs: list[Path] = []
    original = server_mod.initdb

    def counted(args: list[str], pgdata: Path, **kwargs: object) -> object:
        runs.append(Path(pgdata))
        return original(args, pgdata=pgdata, **kwargs)

    monkeypatch.setattr(server_mod, "initdb", counted)
    monkeypatch.setattr("pgserver._commands.initdb", counted)
    return runs


def answers(server_dsn: str) -> str:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int)")
        conn.execute("INSERT INTO t VALUES (1)")
        row = conn.execute("SELECT count(*), current_setting('server_version') FROM t").fetchone()
    assert row is not None and row[0] == 1
    return str(row[1])


def start_and_use() -> str:
    """A throwaway embedded server started, used and stopped; its version."""
    server = open_postgres(use_docker=False)
    try:
        return answers(server.dsn("postgres"))
    finally:
        server.close()


def test_initdb_runs_once_and_every_later_start_is_a_working_copy(
        tmp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = count_initdb(monkeypatch)
    versions = [start_and_use() for _ in range(2)]
    assert len(runs) == 1 and runs[0].parent.parent.name == f"{initdb_cache.PREFIX}{os.geteuid()}"
    assert versions[0] == versions[1]
    [template] = [p for p in runs[0].parent.parent.iterdir() if not p.name.startswith("tmp-")]
    assert (template / "PG_VERSION").is_file()
    # The copies were servers of their own: the template was never started or written.
    assert not (template / "postmaster.pid").exists()
    assert not list(tmp_root.glob("harness-embedded-pg-*"))


def test_a_cache_others_may_write_or_turned_off_is_not_used(
        tmp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_root / f"{initdb_cache.PREFIX}{os.geteuid()}"
    root.mkdir()
    root.chmod(0o777)
    runs = count_initdb(monkeypatch)
    start_and_use()
    # pgserver's own initdb, in the server's folder; nothing written to the open cache.
    assert len(runs) == 1 and "harness-embedded-pg-" in str(runs[0])
    assert list(root.iterdir()) == []
    monkeypatch.setenv(initdb_cache.CACHE_ENV, "off")
    empty = tmp_root / "empty"
    empty.mkdir()
    assert initdb_cache.fill(empty) is False and list(empty.iterdir()) == []


def test_a_half_made_template_of_a_killed_start_is_swept_and_never_copied(
        tmp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_root / f"{initdb_cache.PREFIX}{os.geteuid()}"
    root.mkdir(mode=0o711)
    dead = 2**22 + 12345  # above any pid this machine hands out
    half = root / f"tmp-{dead}-abc" / "data"
    half.mkdir(parents=True)
    (half / "PG_VERSION").write_text("16\n")
    runs = count_initdb(monkeypatch)
    start_and_use()
    assert len(runs) == 1 and not half.parent.exists()
