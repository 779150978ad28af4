"""Where the real PostgreSQL comes from: an explicit DSN, a testcontainers container when a
Docker engine answers, or the embedded server bundled by ``pgserver``; plus the ``pg_dump``
that is new enough for that server."""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness.errors import ConfigError, HarnessError
from harness.io.db.pg_dump import PgDump, find_pg_dump, pg_dump_candidates, pg_dump_major
from harness.redact import mask_dsn

# The pg_dump finder lives in pg_dump.py (no psycopg there, for the fast `schema diff`).
__all__ = ["PgDump", "PostgresServer", "find_pg_dump", "open_postgres", "pg_dump_candidates",
           "pg_dump_major"]

_DOCKER_IMAGE = "postgres:16-alpine"
_DOCKER_SOCKET = "/var/run/docker.sock"  # docker.from_env()'s default without DOCKER_HOST
_CONNECT_TIMEOUT_S = 10
_FILE_COPY_FROM_BYTES = 32 * 1024 * 1024


class PostgresServer:
    """One running PostgreSQL server, whatever provided it.

    ``kind`` is ``"dsn"``, ``"docker"`` or ``"embedded"``. ``close()`` stops what this object
    started (nothing for ``"dsn"``) and may be called more than once.
    """

    def __init__(
        self,
        kind: str,
        admin_dsn: str,
        *,
        pg_dump_path: str | None = None,
        stop: Callable[[], None] | None = None,
    ) -> None:
        self.kind = kind
        self._admin_dsn = admin_dsn
        self._pg_dump_path = pg_dump_path
        self._stop = stop
        self._closed = False
        self._pg_dump: PgDump | None = None
        # What starting it had to say (e.g. leftovers of a killed run it removed).
        self.notes: list[str] = []
        self.server_major = server_major(admin_dsn)

    def __repr__(self) -> str:
        return f"PostgresServer(kind={self.kind!r}, dsn={mask_dsn(self._admin_dsn)!r})"

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def dsn(self, dbname: str) -> str:
        """The DSN of database ``dbname`` on this server (same host, user and password)."""
        return with_dbname(self._admin_dsn, dbname)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (optionally as a copy of ``template``) and return its DSN."""
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            stmt = sql.SQL("{} TEMPLATE {}").format(stmt, sql.Identifier(template))
        try:
            with psycopg.connect(self._admin_dsn, autocommit=True,
                                 connect_timeout=_CONNECT_TIMEOUT_S) as conn:
                if template is not None and self._copy_files(conn, template):
                    stmt = sql.SQL("{} STRATEGY FILE_COPY").format(stmt)
                conn.execute(stmt)
        except psycopg.Error as exc:
            source = f" from template {template!r}" if template else ""
            raise HarnessError(
                f"could not create database {name!r}{source}: {exc}".strip(),
                where=mask_dsn(self._admin_dsn),
                fix="check the role may CREATE DATABASE and that nobody is connected to the "
                    "template database",
            ) from exc
        return self.dsn(name)

    def _copy_files(self, conn: psycopg.Connection[tuple[object, ...]], template: str) -> bool:
        """Whether to copy ``template`` file by file (PostgreSQL 15+): one checkpoint instead
        of every page through the WAL, about 2x faster for a large database
        (bench/fingerprint.py); for a small one the checkpoint costs what it saves."""
        if self.server_major < 15:
            return False
        row = conn.execute("SELECT pg_database_size(%s)", (template,)).fetchone()
        return row is not None and int(str(row[0])) >= _FILE_COPY_FROM_BYTES

    def rename_database(self, name: str, new_name: str) -> None:
        """Rename database ``name`` (nobody may be connected to it)."""
        try:
            with psycopg.connect(self._admin_dsn, autocommit=True,
                                 connect_timeout=_CONNECT_TIMEOUT_S) as conn:
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(name), sql.Identifier(new_name)))
        except psycopg.Error as exc:
            raise HarnessError(f"could not rename database {name!r} to {new_name!r}: {exc}",
                               where=mask_dsn(self._admin_dsn),
                               fix="check the role owns the database and nobody is connected "
                                   "to it") from exc

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, ending its other connections first."""
        self.drop_databases([name])

    def drop_databases(self, names: list[str]) -> None:
        """Drop each database in ``names`` that exists (one connection for all of them)."""
        if not names:
            return
        # FORCE (PostgreSQL 13+) also ends sessions that connect in the meantime.
        force = sql.SQL(" WITH (FORCE)" if self.server_major >= 13 else "")
        try:
            with psycopg.connect(self._admin_dsn, autocommit=True,
                                 connect_timeout=_CONNECT_TIMEOUT_S) as conn:
                for name in names:
                    conn.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        (name,),
                    )
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(
                        sql.Identifier(name), force))
        except psycopg.Error as exc:
            raise HarnessError(
                f"could not drop database(s) {', '.join(map(repr, names))}: {exc}".strip(),
                where=mask_dsn(self._admin_dsn),
                fix="check the role owns the database; drop it by hand if needed",
            ) from exc

    def pg_dump(self) -> PgDump:
        """A ``pg_dump`` at least as new as this server (ConfigError when none is found)."""
        if self._pg_dump is None:
            self._pg_dump = find_pg_dump(self.server_major, configured=self._pg_dump_path)
        return self._pg_dump

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._stop is not None:
            self._stop()


def open_postgres(
    dsn: str | None = None,
    *,
    use_docker: bool = True,
    data_dir: Path | None = None,
    pg_dump_path: str | None = None,
) -> PostgresServer:
    """Open a PostgreSQL server: ``dsn`` if given, else Docker if an engine answers, else the
    embedded server (its data directory is ``data_dir`` or a fresh temporary one). Without
    arguments, the server ``prestart`` began starting, if there is one."""
    if dsn is not None:
        return PostgresServer("dsn", dsn, pg_dump_path=pg_dump_path)
    if use_docker and data_dir is None and pg_dump_path is None:
        prestarted = _claim_prestarted()
        if prestarted is not None:
            return prestarted.result()
    return _open_local(use_docker, data_dir, pg_dump_path)


def _open_local(use_docker: bool, data_dir: Path | None, pg_dump_path: str | None) -> PostgresServer:
    if use_docker and docker_available():
        return _open_docker(pg_dump_path)
    return _open_embedded(data_dir, pg_dump_path)


_prestarted: Future[PostgresServer] | None = None


def prestart() -> None:
    """Begin starting, in the background, the server the next ``open_postgres()`` returns,
    so its start overlaps whatever the process does meanwhile (a drill: pytest's start-up and
    collection). A server nobody claimed is stopped at exit."""
    global _prestarted
    if _prestarted is None:
        pool = ThreadPoolExecutor(1, thread_name_prefix="postgres-prestart")
        _prestarted = pool.submit(_open_local, True, None, None)
        pool.shutdown(wait=False)
        atexit.register(_close_unclaimed)


def _claim_prestarted() -> Future[PostgresServer] | None:
    global _prestarted
    claimed, _prestarted = _prestarted, None
    return claimed


def _close_unclaimed() -> None:
    unclaimed = _claim_prestarted()
    if unclaimed is not None and unclaimed.exception() is None:
        unclaimed.result().close()


def docker_available() -> bool:
    """True when a Docker engine answers a ping; never raises."""
    if not os.environ.get("DOCKER_HOST") and not Path(_DOCKER_SOCKET).exists():
        # Where docker.from_env() would look: nothing there (importing the client costs more
        # than a quarter second, and each start of the sim asks).
        return False
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _open_docker(pg_dump_path: str | None) -> PostgresServer:
    from testcontainers.community.postgres import PostgresContainer

    container = PostgresContainer(_DOCKER_IMAGE, driver=None)
    container.start()
    try:
        return PostgresServer("docker", container.get_connection_url(driver=None),
                              pg_dump_path=pg_dump_path, stop=container.stop)
    except BaseException:
        container.stop()
        raise


def _open_embedded(data_dir: Path | None, pg_dump_path: str | None) -> PostgresServer:
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir at import; without XDG_RUNTIME_DIR
        # (containers, CI) that warns and falls back to /tmp, which is fine here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver

    from harness.io.db import embedded, initdb_cache

    notes = embedded.sweep() if data_dir is None else []
    home = embedded.new_home() if data_dir is None else None
    pgdata = embedded.data_dir(home) if home is not None else data_dir
    assert pgdata is not None
    # A throwaway server dies with this process however it ends (SIGKILL included).
    watchdog = embedded.Watchdog.start(home) if home is not None else None
    try:
        pgdata.mkdir(exist_ok=True)
        if home is not None:
            initdb_cache.fill(pgdata)  # else pgserver runs initdb
        # A throwaway data directory is stopped by ``stop`` below without a shutdown
        # checkpoint; pgserver's own stop (its atexit hook too) is for a kept directory.
        server = pgserver.get_server(  # type: ignore[attr-defined]
            pgdata, cleanup_mode=None if home is not None else "stop")
    except Exception as exc:
        if watchdog is not None:
            watchdog.release()
        raise HarnessError(
            f"the embedded PostgreSQL server did not start: {exc}",
            where=str(pgdata),
            fix=f"read {pgdata / 'log'} for the server's reason, or pass --dsn to use another "
                "server",
        ) from exc

    def stop() -> None:
        if home is not None:
            from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

            with contextlib.suppress(subprocess.SubprocessError):
                pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata,
                       user=server.system_user)
        server.cleanup()
        if watchdog is not None:
            watchdog.release()  # it removes the folder (and stops the server if still up)

    try:
        opened = PostgresServer("embedded", server.get_uri(), pg_dump_path=pg_dump_path,
                                stop=stop)
    except BaseException:
        stop()
        raise
    opened.notes = notes
    return opened


def with_dbname(dsn: str, dbname: str) -> str:
    """``dsn`` pointing at database ``dbname`` instead (URL or key=value form)."""
    return make_conninfo(dsn, dbname=dbname)


def dbname_of(dsn: str) -> str:
    """The database a DSN points at (libpq defaults it to the user name)."""
    params = conninfo_to_dict(dsn)
    return str(params.get("dbname") or params.get("user") or "")


def server_major(dsn: str) -> int:
    """The server's major version (16 for 16.2)."""
    try:
        with psycopg.connect(dsn, connect_timeout=_CONNECT_TIMEOUT_S) as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
    except psycopg.Error as exc:
        raise ConfigError(
            f"cannot connect to PostgreSQL: {exc}".strip(),
            where=mask_dsn(dsn),
            fix="check host, port, database, user and password in the DSN (and the tunnel, "
                "if there is one)",
        ) from exc
    assert row is not None
    return int(row[0]) // 10000


