"""Copy a database's schema (and its ``_migrations`` rows) into an empty database, with the
same ``pg_dump`` the comparison uses: the scratch copy the gate exercises downs on."""

from __future__ import annotations

import subprocess

import psycopg
from psycopg import sql

from harness.errors import HarnessError
from harness.io.db.conninfo import for_command_line
from harness.io.db.dump import BOOKKEEPING_TABLES
from harness.io.db.pg_dump import PgDump
from harness.redact import mask_dsn

_TIMEOUT_S = 300


def copy_schema(source_dsn: str, target_dsn: str, pg_dump: PgDump) -> None:
    """Recreate ``source``'s schema in the (empty) ``target``, plus the bookkeeping rows, so
    the runner sees the same applied migrations. No application data is copied."""
    source, env = for_command_line(source_dsn)
    args = [pg_dump.path, "--schema-only", "--no-owner", "--no-privileges", "--dbname", source]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=_TIMEOUT_S, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        raise HarnessError(f"pg_dump did not run: {exc}", where=pg_dump.path,
                           fix="check the pg_dump binary and that the database is reachable"
                           ) from exc
    if done.returncode != 0:
        raise HarnessError(f"pg_dump failed: {mask_dsn(done.stderr.strip())}",
                           where=mask_dsn(source_dsn),
                           fix="check the DSN and that the role can read the catalog")
    # psql meta-commands (\restrict ...) are not SQL; the rest runs as one script.
    script = "\n".join(line for line in done.stdout.splitlines() if not line.startswith("\\"))
    try:
        with psycopg.connect(source_dsn) as src, psycopg.connect(target_dsn) as dst:
            dst.execute(script.encode())
            dst.execute("SELECT pg_catalog.set_config('search_path', 'public', false)")
            for table in BOOKKEEPING_TABLES:
                _copy_rows(src, dst, table)
    except psycopg.Error as exc:
        raise HarnessError(f"could not load the schema copy: {exc}".strip(),
                           where=mask_dsn(target_dsn),
                           fix="the scratch server must be at least as new as the source") from exc


def _copy_rows(src: psycopg.Connection[tuple[object, ...]],
               dst: psycopg.Connection[tuple[object, ...]], table: str) -> None:
    exists = src.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    if not exists or not exists[0]:
        return
    ident = sql.Identifier(table)
    with src.cursor().copy(sql.SQL("COPY {} TO STDOUT").format(ident)) as out, \
            dst.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(ident)) as into:
        for block in out:
            into.write(block)
