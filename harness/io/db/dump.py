"""Run ``pg_dump --schema-only`` against a database and return the normalised schema."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from harness.errors import ConfigError, HarnessError
from harness.io.db.providers import PgDump, dbname_of, find_pg_dump, for_command_line, server_major
from harness.io.db.schema import Schema, SchemaComparison, compare, normalise
from harness.redact import mask_dsn

# The runner's bookkeeping table is not part of the schema a migration defines.
BOOKKEEPING_TABLES = ("_migrations",)
_TIMEOUT_S = 300


@dataclass(frozen=True)
class SchemaDump:
    database: str
    pg_dump: PgDump
    schema: Schema


def dump_schema(dsn: str, pg_dump: PgDump, *,
                exclude_tables: tuple[str, ...] = BOOKKEEPING_TABLES) -> SchemaDump:
    """Dump the schema of the database at ``dsn`` with ``pg_dump`` and normalise it."""
    args = [pg_dump.path, "--schema-only", "--no-owner", "--no-privileges"]
    args += [f"--exclude-table={name}" for name in exclude_tables]
    target, env = for_command_line(dsn)
    args += ["--dbname", target]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=_TIMEOUT_S, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        raise HarnessError(f"pg_dump did not run: {exc}", where=pg_dump.path,
                           fix="check the pg_dump binary and the database are reachable") from exc
    if done.returncode != 0:
        stderr = mask_dsn(done.stderr.strip())
        if "server version mismatch" in stderr:
            raise ConfigError(
                f"pg_dump {pg_dump.major} is older than the server: {stderr}",
                where=f"{pg_dump.path} -> {mask_dsn(dsn)}",
                fix="use a pg_dump at least as new as the server (find_pg_dump picks one)",
            )
        raise HarnessError(f"pg_dump failed: {stderr}", where=mask_dsn(dsn),
                           fix="check the DSN and that the role can read the catalog")
    return SchemaDump(dbname_of(dsn), pg_dump, normalise(done.stdout))


def pg_dump_for(*dsns: str, configured: str | None = None) -> PgDump:
    """One pg_dump new enough for every server named, so both sides dump the same way."""
    return find_pg_dump(max(server_major(dsn) for dsn in dsns), configured=configured)


def diff_databases(dsn_a: str, dsn_b: str, *, pg_dump_path: str | None = None,
                   pg_dump: PgDump | None = None) -> SchemaComparison:
    """Dump both databases with the same pg_dump and compare the normalised schemas."""
    binary = pg_dump or pg_dump_for(dsn_a, dsn_b, configured=pg_dump_path)
    # The two pg_dump processes are independent: run them side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        future_b = pool.submit(dump_schema, dsn_b, binary)
        a = dump_schema(dsn_a, binary)
        b = future_b.result()
    return compare(a.schema, b.schema, left_label=mask_dsn(dsn_a), right_label=mask_dsn(dsn_b))
