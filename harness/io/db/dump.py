"""Run ``pg_dump --schema-only`` against databases and return the normalised schemas. No
database driver is imported here: ``harness schema diff`` only runs two pg_dump processes
side by side and compares what they print."""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass

from harness.errors import ConfigError, HarnessError
from harness.io.db.conninfo import for_command_line
from harness.io.db.pg_dump import PgDump, find_pg_dump, newest_pg_dump
from harness.io.db.schema import Schema, SchemaComparison, Verdict, compare, normalise
from harness.redact import mask_dsn

# The runner's bookkeeping table is not part of the schema a migration defines.
BOOKKEEPING_TABLES = ("_migrations",)
_TIMEOUT_S = 300
# Lines that differ between two dumps of one schema (pg_dump's random \\restrict key, the
# versions in the header); normalise drops them too, and none is an object header.
_UNSTABLE_LINES = re.compile(r"^(?:\\(?:un)?restrict .*|-- Dumped (?:from|by) .*)\n", re.M)


@dataclass(frozen=True)
class SchemaDump:
    database: str
    pg_dump: PgDump
    schema: Schema


def dump_schema(dsn: str, pg_dump: PgDump, *,
                exclude_tables: tuple[str, ...] = BOOKKEEPING_TABLES,
                with_privileges: bool = False) -> SchemaDump:
    """Dump the schema of the database at ``dsn`` with ``pg_dump`` and normalise it."""
    text = _finish(dsn, pg_dump, _start(dsn, pg_dump, exclude_tables, with_privileges))
    return SchemaDump(_dbname(dsn), pg_dump, normalise(text, with_privileges=with_privileges))


def pg_dump_for(*dsns: str, configured: str | None = None) -> PgDump:
    """One pg_dump new enough for every server named, so both sides dump the same way."""
    from harness.io.db.providers import server_major  # psycopg: only where a server is asked

    return find_pg_dump(max(server_major(dsn) for dsn in dsns), configured=configured)


def diff_databases(dsn_a: str, dsn_b: str, *, pg_dump_path: str | None = None,
                   pg_dump: PgDump | None = None,
                   with_privileges: bool = False) -> SchemaComparison:
    """Dump both databases at once with the same pg_dump and compare the normalised schemas.

    Without ``pg_dump`` the newest one found is used (it dumps any older server; a newer
    server makes it fail with a clear error), so no connection is needed beforehand."""
    binary = pg_dump or newest_pg_dump(pg_dump_path)
    procs = [_start(dsn, binary, BOOKKEEPING_TABLES, with_privileges) for dsn in (dsn_a, dsn_b)]
    texts: list[str | BaseException] = [ValueError("not dumped")] * 2

    def finish(i: int, dsn: str) -> None:
        try:
            texts[i] = _UNSTABLE_LINES.sub("", _finish(dsn, binary, procs[i]))
        except BaseException as exc:  # handed to the caller below
            texts[i] = exc

    # Both pipes are drained in threads, so neither pg_dump blocks on a full pipe.
    threads = [threading.Thread(target=finish, args=(i, dsn)) for i, dsn in
               enumerate((dsn_a, dsn_b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for side in texts:
        if isinstance(side, BaseException):
            raise side
    left_label, right_label = mask_dsn(dsn_a), mask_dsn(dsn_b)
    if texts[0] == texts[1]:
        # Same text but for lines normalising drops anyway: identical, nothing to parse.
        return SchemaComparison(Verdict.IDENTICAL, left_label, right_label, "")
    left, right = (normalise(str(t), with_privileges=with_privileges) for t in texts)
    return compare(left, right, left_label=left_label, right_label=right_label)


def _start(dsn: str, pg_dump: PgDump, exclude_tables: tuple[str, ...],
           with_privileges: bool) -> subprocess.Popen[str]:
    args = [pg_dump.path, "--schema-only", "--no-owner"]
    if not with_privileges:
        args.append("--no-privileges")
    args += [f"--exclude-table={name}" for name in exclude_tables]
    target, env = for_command_line(dsn)
    args += ["--dbname", target]
    try:
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
    except OSError as exc:
        raise HarnessError(f"pg_dump did not run: {exc}", where=pg_dump.path,
                           fix="check the pg_dump binary") from exc


def _finish(dsn: str, pg_dump: PgDump, proc: subprocess.Popen[str]) -> str:
    try:
        out, err = proc.communicate(timeout=_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.communicate()
        raise HarnessError(f"pg_dump took more than {_TIMEOUT_S} s", where=mask_dsn(dsn),
                           fix="check the database is reachable and not locked") from exc
    if proc.returncode != 0:
        stderr = mask_dsn(err.strip())
        if "server version mismatch" in stderr:
            raise ConfigError(
                f"pg_dump {pg_dump.major} is older than the server: {stderr}",
                where=f"{pg_dump.path} -> {mask_dsn(dsn)}",
                fix="use a pg_dump at least as new as the server (--pg-dump PATH)",
            )
        if "connection to server" in stderr:
            raise ConfigError(f"pg_dump cannot connect to PostgreSQL: {stderr}",
                              where=mask_dsn(dsn), fix="check host, port, database, user and "
                              "password in the DSN (and the tunnel, if there is one)")
        raise HarnessError(f"pg_dump failed: {stderr}", where=mask_dsn(dsn),
                           fix="check the DSN and that the role can read the catalog")
    return out


def _dbname(dsn: str) -> str:
    from harness.io.db.providers import dbname_of  # psycopg's conninfo parser

    return dbname_of(dsn)
