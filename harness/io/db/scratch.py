"""Where throwaway embedded PostgreSQL servers keep their files: their folders
(``harness.io.db.embedded``) and the initdb cache (``harness.io.db.initdb_cache``).

A throwaway server's data is worthless once it stops, so it is best kept in memory: on a
disk, every ``CREATE DATABASE``, reset, restore copy and folder removal is file-system work in
the kernel (on this project's 2-core CI machine, an ext4 disk mounted with ``discard``, that
kernel work was most of the test suite's system time). The choice, in order:

1. ``HARNESS_PG_SCRATCH``: a folder named there (it must exist and be writable);
2. ``/dev/shm`` when it is a memory file system (tmpfs) this user may write with at least
   ``MIN_FREE_BYTES`` free: a container's default 64 MB one is not used;
3. the system's temporary folder (``tempfile.gettempdir()``, which follows ``TMPDIR``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from harness.errors import ConfigError

SCRATCH_ENV = "HARNESS_PG_SCRATCH"
MEMORY = Path("/dev/shm")
MIN_FREE_BYTES = 2 << 30


def root() -> Path:
    """The folder throwaway servers and the initdb cache go into (see the module's doc)."""
    named = os.environ.get(SCRATCH_ENV, "").strip()
    if named:
        chosen = Path(named).expanduser()
        if not chosen.is_dir() or not os.access(chosen, os.W_OK | os.X_OK):
            raise ConfigError(f"{chosen} is not a folder this user can write",
                              where=SCRATCH_ENV,
                              fix=f"create it, or unset {SCRATCH_ENV} to use the default")
        return chosen
    if _roomy_memory(MEMORY):
        return MEMORY
    return Path(tempfile.gettempdir())


def roots() -> list[Path]:
    """Every folder a server may have been put in by a run (the memory one or the temporary
    folder, whichever had room then): where a sweep looks."""
    found = [root(), Path(tempfile.gettempdir())]
    return [p for i, p in enumerate(found) if p not in found[:i]]


def _roomy_memory(path: Path) -> bool:
    try:
        if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK) or not _is_tmpfs(path):
            return False
        info = os.statvfs(path)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize >= MIN_FREE_BYTES


def _is_tmpfs(path: Path) -> bool:
    """True when ``path`` is the mount point of a tmpfs (Linux's /proc/mounts); False where
    that cannot be told (macOS has no /dev/shm folder anyway)."""
    try:
        lines = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    return any(len(f) > 2 and f[1] == str(path) and f[2] == "tmpfs"
               for f in (line.split() for line in lines))
