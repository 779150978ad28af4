"""Find a ``pg_dump`` and its version: on PATH, in Debian's versioned installs, or bundled
with ``pgserver``. Subprocesses only (no database driver), so ``harness schema diff`` starts
fast."""

from __future__ import annotations

import functools
import importlib.util
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class PgDump:
    """A ``pg_dump`` binary and its major version."""

    path: str
    major: int


@functools.cache
def pg_dump_major(path: str) -> int:
    """Major version of the ``pg_dump`` at ``path`` (ConfigError when it does not run);
    asked once per path and process."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"pg_dump at {path} does not run: {exc}", where=path,
                          fix="point pg_dump_path at a working pg_dump binary") from exc
    match = _VERSION.search(out)
    if match is None:
        raise ConfigError(f"cannot read a version from {out.strip()!r}", where=path,
                          fix="point pg_dump_path at a PostgreSQL pg_dump binary")
    return int(match[1])


def pg_dump_candidates() -> list[str]:
    """Where to look, in order: PATH, Debian's versioned installs, the pgserver bundle."""
    found: list[str] = []
    on_path = shutil.which("pg_dump")
    if on_path:
        found.append(on_path)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"),
                    key=lambda p: _int_or_zero(p.parent.parent.name), reverse=True)
    found.extend(str(p) for p in debian)
    bundled = _pgserver_bin() / "pg_dump"
    if bundled.exists():
        found.append(str(bundled))
    unique: list[str] = []
    for path in found:
        if Path(path).resolve() not in {Path(u).resolve() for u in unique}:
            unique.append(path)
    return unique


def find_pg_dump(
    server: int, *, configured: str | None = None, candidates: list[str] | None = None
) -> PgDump:
    """The first ``pg_dump`` whose major version is >= ``server``.

    A configured path is the only one tried (the operator asked for it): too old is an error.
    """
    if configured is not None:
        major = pg_dump_major(configured)
        if major < server:
            raise ConfigError(
                f"configured pg_dump is version {major}, older than the server's {server}",
                where=configured,
                fix=f"configure a pg_dump {server} or newer, or drop the setting so the harness "
                    "searches PATH and the pgserver bundle",
            )
        return PgDump(configured, major)
    seen: list[str] = []
    for path in pg_dump_candidates() if candidates is None else candidates:
        try:
            major = pg_dump_major(path)
        except ConfigError:
            continue
        if major >= server:
            return PgDump(path, major)
        seen.append(f"{path} (version {major})")
    found = ", ".join(seen) if seen else "none at all"
    raise ConfigError(
        f"no pg_dump new enough for a version {server} server; found: {found}",
        where="pg_dump search (PATH, /usr/lib/postgresql/*/bin, pgserver bundle)",
        fix=f"install pg_dump {server} or newer (e.g. postgresql-client-{server}) and put it "
            "on PATH, or pass its path as pg_dump_path",
    )


def newest_pg_dump(configured: str | None = None) -> PgDump:
    """The configured pg_dump, else the newest found: it dumps any older server, and a
    newer server makes it fail with "server version mismatch" (reported, never passed)."""
    if configured is not None:
        return PgDump(configured, pg_dump_major(configured))
    found: list[PgDump] = []
    for path, major in _versions(pg_dump_candidates()):
        if major is not None:
            found.append(PgDump(path, major))
    if not found:
        raise ConfigError("no pg_dump found", where="pg_dump search (PATH, "
                          "/usr/lib/postgresql/*/bin, pgserver bundle)",
                          fix="install pg_dump (e.g. postgresql-client-16) and put it on PATH, "
                              "or pass its path with --pg-dump")
    return max(found, key=lambda d: d.major)


def _versions(paths: list[str]) -> list[tuple[str, int | None]]:
    """The major version of each pg_dump, all asked at once (None: it does not run)."""
    procs: list[tuple[str, subprocess.Popen[str] | None]] = []
    for path in paths:
        try:
            procs.append((path, subprocess.Popen([path, "--version"], stdout=subprocess.PIPE,
                                                 stderr=subprocess.DEVNULL, text=True)))
        except OSError:
            procs.append((path, None))
    found: list[tuple[str, int | None]] = []
    for path, proc in procs:
        out = proc.communicate(timeout=10)[0] if proc is not None else ""
        match = _VERSION.search(out) if proc is not None and proc.returncode == 0 else None
        found.append((path, int(match[1]) if match else None))
    return found


def _pgserver_bin() -> Path:
    """The pgserver bundle's bin directory, found without importing pgserver (slow)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        return Path("/nonexistent")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _int_or_zero(text: str) -> int:
    return int(text) if text.isdigit() else 0
