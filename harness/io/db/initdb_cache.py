"""A throwaway embedded server's data directory, copied from one ``initdb`` made earlier.

``initdb`` is most of an embedded PostgreSQL's start: about 1.5 s of CPU, against about
0.2 s for the server itself (``bench/drill_wall.py`` prints both). The first throwaway
start on a machine runs it once into a cache folder, ``<scratch>/harness-pg-initdb-<uid>/<key>``
(``<scratch>``: the folder ``harness.io.db.scratch`` picks, in memory when there is room),
keyed by the server binary (path, size, mtime) and the initdb options; every later start copies
that folder (about 40 MB, tens of milliseconds). The copy is exactly what initdb would have
written: the same binary, the same options, a cluster nobody has started.

Any problem with the cache (a folder someone else owns or others may write, no space, a
copy that fails) means no cache: the server is initialised by pgserver as before, and the
cache folder is never trusted when it is not this user's own. ``HARNESS_PG_INITDB_CACHE=off``
turns the cache off; deleting the folder empties it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import psutil

from harness.io.db import scratch

CACHE_ENV = "HARNESS_PG_INITDB_CACHE"
PREFIX = "harness-pg-initdb-"
# pgserver's own initdb options (pgserver/postgres_server.py): the copy must be what it makes.
INITDB_ARGS = ("--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres")
_COMPLETE = "harness-initdb-complete"  # written last into a finished template


def enabled() -> bool:
    return os.environ.get(CACHE_ENV, "").strip().lower() not in ("off", "0", "no", "false")


def fill(pgdata: Path) -> bool:
    """Fill the empty directory ``pgdata`` with a copy of the cached initialised cluster,
    making the cache first when it is missing. False (``pgdata`` left empty) when the cache
    cannot be used: pgserver then runs initdb itself."""
    if not enabled():
        return False
    try:
        template = _template()
        if template is None:
            return False
        # cp -a keeps owners (pgserver's own user when run as root) and modes (0700).
        subprocess.run(["cp", "-a", f"{template}/.", f"{pgdata}/"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (pgdata / _COMPLETE).unlink()
        return True
    except (OSError, subprocess.SubprocessError):
        _empty(pgdata)
        return False


def _template() -> Path | None:
    root = _root()
    if root is None:
        return None
    template = root / _key()
    if (template / _COMPLETE).is_file():
        return template
    _sweep(root)
    work = Path(tempfile.mkdtemp(prefix=f"tmp-{os.getpid()}-", dir=root))
    try:
        data = work / "data"
        data.mkdir(mode=0o700)
        _initdb(data)
        (data / _COMPLETE).write_text("", encoding="utf-8")
        try:
            data.rename(template)
        except OSError:
            if not (template / _COMPLETE).is_file():  # no other start made it meanwhile
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return template


def _root() -> Path | None:
    """This user's cache folder, or None when it is not safely this user's alone."""
    root = scratch.root() / f"{PREFIX}{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        # 0711: pgserver's own user (when run as root) must traverse it to run initdb.
        root.mkdir(mode=0o711)
    info = root.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or \
            info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return root


def _key() -> str:
    from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]

    binary = Path(POSTGRES_BIN_PATH) / "postgres"
    info = binary.stat()
    text = f"{binary}\0{info.st_size}\0{info.st_mtime_ns}\0{' '.join(INITDB_ARGS)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _initdb(data: Path) -> None:
    """initdb into ``data`` as pgserver does it (as its own user when this process is root)."""
    from pgserver._commands import initdb  # type: ignore[attr-defined]

    user = None
    if os.geteuid() == 0:
        import pwd

        from pgserver.utils import (  # type: ignore[import-untyped]
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        user = "pgserver"
        ensure_user_exists(user)
        ensure_prefix_permissions(data)
        entry = pwd.getpwnam(user)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    initdb(list(INITDB_ARGS), pgdata=data, user=user)


def _sweep(root: Path) -> None:
    """Remove half-made templates whose maker is gone (killed while running initdb)."""
    for work in root.glob("tmp-*"):
        try:
            pid = int(work.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if not psutil.pid_exists(pid):
            shutil.rmtree(work, ignore_errors=True)


def _empty(pgdata: Path) -> None:
    for child in pgdata.iterdir() if pgdata.is_dir() else ():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
