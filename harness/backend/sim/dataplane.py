"""The sim's data plane: every moto RDS instance and manual snapshot is a real PostgreSQL
database on one server.

moto keeps RDS metadata only, so the data plane wraps moto's RDS backend methods: creating
an instance gives it a database (a copy of the seeded app data), a manual snapshot is
``CREATE DATABASE ... TEMPLATE`` of the instance at that instant, a restore creates the new
instance's database from the snapshot's, and deleting either drops its database. Because it
patches the backend (not a client), it serves every caller in the process: the harness,
a test driving boto3 directly, or a moto server answering another process.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import psycopg
from psycopg import sql

from harness.backend.sim.spares import SpareCopies
from harness.errors import HarnessError
from harness.io.db.fingerprint import DatabaseUnreachable
from harness.io.db.providers import PostgresServer
from harness.rollback.datacheck import CANARY_TABLE

_PREFIX = {"instance": "rds_", "snapshot": "snap_"}

# The app's data as the sim seeds it: a few tables, a few thousand rows, a _migrations table
# in the runner's shape, so fingerprints and migrations have something real to work on.
SEED_SQL = """
CREATE TABLE organisations (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE documents (id bigint PRIMARY KEY, org_id integer NOT NULL REFERENCES organisations,
                        title text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE app_settings (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE _migrations (version text PRIMARY KEY, name text NOT NULL,
                          applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO organisations SELECT g, 'org ' || g FROM generate_series(1, 20) g;
INSERT INTO documents SELECT g, 1 + g % 20, 'document ' || g, md5(g::text),
       timestamptz '2026-01-01' + g * interval '1 minute' FROM generate_series(1, 2000) g;
INSERT INTO app_settings VALUES ('ai_provider', 'legacy'), ('locale', 'en');
INSERT INTO _migrations (version, name, applied_at)
VALUES ('20260101000000', '20260101000000_baseline', timestamptz '2026-01-01');
"""


def database_name(kind: str, account: str, identifier: str, run: str) -> str:
    """A PostgreSQL name (<= 63 bytes) for an RDS resource: readable prefix, the data plane's
    run token (two runs sharing one server never touch each other's databases), and a hash of
    account and identifier (two accounts with the same instance id never share data)."""
    digest = hashlib.sha1(f"{account}:{identifier}".encode()).hexdigest()[:10]
    readable = re.sub(r"[^a-z0-9]+", "_", identifier.lower())
    return f"{_PREFIX[kind]}{run}_{digest}_{readable}"[:63]


def new_run_token() -> str:
    return secrets.token_hex(4)


@dataclass
class _Restoring:
    account: str
    snapshot: str


class DataPlane:
    """Owns the databases behind the sim's RDS resources on one PostgreSQL server.

    The server is opened by ``prewarm`` (in the background) or on first use (``server`` may
    be a factory); an instance's database is copied from the seed when it is first needed,
    so re-seeding after a reset costs nothing until the data is used.
    """

    def __init__(self, server: PostgresServer | Callable[[], PostgresServer],
                 faults: frozenset[str] = frozenset(), run: str | None = None) -> None:
        # Every database this data plane makes carries its run token; ``reset`` and ``close``
        # drop only those, so runs sharing one server (HARNESS_SIM_POSTGRES_DSN) stay apart.
        self.run = run or new_run_token()
        if not re.fullmatch(r"[0-9a-f]{1,16}", self.run):
            raise ValueError(f"run token {self.run!r} must be 1 to 16 hex digits")
        self.seed_database = f"sim_seed_{self.run}"
        self._ours = re.compile(rf"^((rds|snap)_{self.run}_|sim_seed_{self.run}$)")
        self._server = server if isinstance(server, PostgresServer) else None
        self._factory = None if isinstance(server, PostgresServer) else server
        self.faults = faults
        # Instance databases owed a copy of the seed, made on first use; and the databases
        # this process made (deep health asks often: no catalog query per answer).
        self._pending: set[str] = set()
        self._made: set[str] = set()
        self._baseline: frozenset[str] = frozenset()
        self._patches: list[Any] = []
        self._local = threading.local()
        self._lock = threading.RLock()
        # Called with (account, snapshot id) when a restore starts; tests use it to act
        # "mid-restore" (e.g. kill the process that asked for it).
        self.on_restore: Callable[[str, str], None] | None = None
        self._seeded = False
        self._warming: threading.Thread | None = None
        self._warm_error: BaseException | None = None
        self._spares = SpareCopies(lambda: self.server, self.seed_database, f"rds_{self.run}_")

    # -- lifecycle ---------------------------------------------------------------------------
    def install(self) -> DataPlane:
        from moto.rds.models import RDSBackend

        for name in ("create_db_instance", "create_db_snapshot",
                     "restore_db_instance_from_db_snapshot", "delete_db_instance",
                     "delete_db_snapshot"):
            patcher = mock.patch.object(RDSBackend, name, self._wrap(name, getattr(RDSBackend, name)))
            patcher.start()
            self._patches.append(patcher)
        return self

    def uninstall(self) -> None:
        while self._patches:
            self._patches.pop().stop()

    @property
    def started(self) -> bool:
        return self._server is not None

    def notes(self) -> list[str]:
        """What starting the server had to say (leftovers of a killed run it removed)."""
        return list(self._server.notes) if self._server is not None else []

    @property
    def server(self) -> PostgresServer:
        with self._lock:
            if self._server is None:
                assert self._factory is not None
                self._server = self._factory()
                if self._server.kind == "embedded":
                    no_durability(self._server)
            return self._server

    def prewarm(self) -> None:
        """Start the server and the seed database in the background (the sim overlaps it with
        moto's setup); ``ready`` waits for it."""
        if self._warming is None and not self._seeded:
            self._warming = threading.Thread(target=self._warm, name="sim-postgres", daemon=True)
            self._warming.start()

    def ready(self) -> None:
        """Wait for ``prewarm``; a failure to start is raised here, naming its cause."""
        if self._warming is not None:
            self._warming.join()
            self._warming = None
        if self._warm_error is not None:
            error, self._warm_error = self._warm_error, None
            raise error

    def _warm(self) -> None:
        try:
            with self._lock:
                self._ensure_seed()
        except BaseException as exc:
            self._warm_error = exc

    def close(self) -> None:
        if self._warming is not None:
            self._warming.join()
            self._warming = None
        self._spares.wait()
        if self._server is not None and self._server.kind == "dsn":
            # A server the sim does not own outlives it: leave none of its databases behind.
            self.reset(seed=True)
        if self._server is not None and self._factory is not None:
            self._server.close()
            self._server = None

    def mark_baseline(self) -> None:
        """The instances seeded so far are the world ``reset`` returns to (moto's state is put
        back beside it): each gets a fresh copy of the seed again, on first use."""
        self._baseline = frozenset(self._pending | self._made)

    def reset(self, *, seed: bool = False) -> None:
        """Drop every database this data plane made; the baseline's instances are owed a fresh
        copy of the seed again. The seed too when ``seed`` (at close, on a server the sim does
        not own)."""
        self._pending = set(self._baseline)
        self._made.clear()
        if not self.started:
            return
        self._spares.wait()
        keep = set() if seed else {self.seed_database, *self._spares.names()}
        self.server.drop_databases([n for n in self.databases() if n not in keep])
        if seed:
            self._spares.forget()
            self._seeded = False

    # -- lookups -----------------------------------------------------------------------------
    def name(self, kind: str, account: str, identifier: str) -> str:
        """The database behind RDS resource ``identifier`` (an instance or a snapshot)."""
        return database_name(kind, account, identifier, self.run)

    def instance_dsn(self, account: str, instance_id: str) -> str:
        name = self.name("instance", account, instance_id)
        self._materialise(name)
        if name not in self._made and name not in self.databases():
            raise DatabaseUnreachable(f"sim: no database answers for RDS instance {instance_id} "
                                      f"in account {account}",
                                      fix="create (or restore) the instance through RDS first")
        return self.server.dsn(name)

    def endpoint_dsn(self, account: str, host: str) -> str:
        """The DSN behind an RDS endpoint host (``<instance>.<...>.rds.amazonaws.com``)."""
        return self.instance_dsn(account, host.split(".", 1)[0])

    def databases(self) -> list[str]:
        with self._admin() as conn:
            rows = conn.execute("SELECT datname FROM pg_database ORDER BY 1").fetchall()
        return [str(r[0]) for r in rows if self._ours.match(str(r[0]))]

    # -- the hooks ---------------------------------------------------------------------------
    def _wrap(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        hook: Callable[..., Any] = getattr(self, f"_on_{name}")

        def wrapper(backend: Any, *args: Any, **kwargs: Any) -> Any:
            return hook(original, backend, *args, **kwargs)
        return wrapper

    def _on_create_db_instance(self, original: Callable[..., Any], backend: Any,
                               db_kwargs: dict[str, Any]) -> Any:
        instance = original(backend, db_kwargs)
        restoring: _Restoring | None = getattr(self._local, "restoring", None)
        target = self.name("instance", backend.account_id, instance.db_instance_identifier)
        try:
            if restoring is None:
                self._pending.add(target)
            else:
                source = self.name("snapshot", restoring.account, restoring.snapshot)
                if source not in self._made and source not in self.databases():
                    raise HarnessError(f"sim: snapshot {restoring.snapshot} holds no data copy",
                                       fix="restore from a manual snapshot the sim took")
                self._create(target, template=source)
                self._apply_restore_faults(instance, target)
        except BaseException:
            backend.databases.pop(instance.db_instance_identifier, None)
            raise
        return instance

    def _on_create_db_snapshot(self, original: Callable[..., Any], backend: Any,
                               db_instance_identifier: str, db_snapshot_identifier: str,
                               snapshot_type: str = "manual", *args: Any, **kwargs: Any) -> Any:
        snapshot = original(backend, db_instance_identifier, db_snapshot_identifier,
                            snapshot_type, *args, **kwargs)
        if snapshot_type != "manual":
            return snapshot  # automated snapshots carry no data in the sim
        account = backend.account_id
        try:
            source = self.name("instance", account, db_instance_identifier)
            self._materialise(source)
            self._create(self.name("snapshot", account, db_snapshot_identifier), template=source)
        except BaseException:
            backend.database_snapshots.pop(db_snapshot_identifier, None)
            raise
        return snapshot

    def _on_restore_db_instance_from_db_snapshot(self, original: Callable[..., Any], backend: Any,
                                                 from_snapshot_id: str, overrides: dict[str, Any]
                                                 ) -> Any:
        snapshot = from_snapshot_id.rsplit(":", 1)[-1]
        if self.on_restore is not None:
            self.on_restore(backend.account_id, snapshot)
        self._local.restoring = _Restoring(backend.account_id, snapshot)
        try:
            return original(backend, from_snapshot_id, overrides)
        finally:
            self._local.restoring = None

    def _on_delete_db_instance(self, original: Callable[..., Any], backend: Any,
                               db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
        result = original(backend, db_instance_identifier, *args, **kwargs)
        name = self.name("instance", backend.account_id, db_instance_identifier)
        if name in self._pending:
            self._pending.discard(name)
        else:
            self._drop(name)
        return result

    def _on_delete_db_snapshot(self, original: Callable[..., Any], backend: Any,
                               db_snapshot_identifier: str) -> Any:
        result = original(backend, db_snapshot_identifier)
        if result.snapshot_type == "manual":
            self._drop(self.name("snapshot", backend.account_id, db_snapshot_identifier))
        return result

    # -- faults and seed ---------------------------------------------------------------------
    def _apply_restore_faults(self, instance: Any, database: str) -> None:
        if "restore-fails" in self.faults:
            instance.status = "incompatible-restore"
        if "corrupt-restore" in self.faults:
            corrupt_one_row(self.server.dsn(database))

    def _create(self, name: str, *, template: str) -> None:
        self.server.create_database(name, template=template)
        self._made.add(name)

    def _drop(self, name: str) -> None:
        self._made.discard(name)
        self.server.drop_database(name)

    def _materialise(self, name: str) -> None:
        with self._lock:
            if name in self._pending:
                self._ensure_seed()
                spare = self._spares.take()
                if spare is not None:
                    self.server.rename_database(spare, name)
                    self._made.add(name)
                else:
                    self._create(name, template=self.seed_database)
                self._pending.discard(name)
                self._spares.fill(len(self._baseline))

    def _ensure_seed(self) -> None:
        if self._seeded:
            return
        with self._admin() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (self.seed_database,)).fetchone()
        if not exists:
            dsn = self.server.create_database(self.seed_database)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(SEED_SQL.encode())
        self._seeded = True

    @contextmanager
    def _admin(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        with psycopg.connect(self.server.dsn("postgres"), autocommit=True) as conn:
            yield conn


def no_durability(server: PostgresServer) -> None:
    """The sim's own throwaway server need not survive a power cut: without fsync, creating
    and dropping databases (every snapshot, restore and reset) is several times faster."""
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
        conn.execute("SELECT pg_reload_conf()")


def corrupt_one_row(dsn: str) -> str:
    """Delete one row from the largest user table (never the drill canary): what a bad
    restore or a silent data loss looks like. Returns the table it touched."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        names = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> %s",
            (CANARY_TABLE,)).fetchall()
        counts = []
        for (name,) in names:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(str(name)))).fetchone()
            counts.append((int(str(row[0])) if row else 0, str(name)))
        rows, largest = max(counts, default=(0, ""))
        if rows == 0:
            raise HarnessError("sim: no row to corrupt in the restored database")
        table = sql.Identifier(largest)
        conn.execute(sql.SQL("DELETE FROM {} WHERE ctid = (SELECT ctid FROM {} LIMIT 1)").format(
            table, table))
    return f"public.{largest}"
