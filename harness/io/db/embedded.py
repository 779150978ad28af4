"""The embedded PostgreSQL's lifetime is the harness process's, however that process ends.

Each embedded server lives in its own folder ``<scratch>/harness-embedded-pg-*/`` (the folder
``harness.io.db.scratch`` picks: in memory when there is room) holding
``owner.json`` (the process that started it) and ``data/`` (the data directory). A watchdog
(a tiny shell in its own session, so a terminal's Ctrl-C does not reach it) waits on a pipe
whose only writer is the harness: when the harness ends, even by SIGKILL, the pipe closes and
the watchdog stops the server (immediate shutdown) and removes the folder. If the watchdog
died too, ``sweep()`` at the next start finds folders whose owner is gone and does the same.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from harness.io.db import scratch

PREFIX = "harness-embedded-pg-"
OWNER_FILE = "owner.json"
DATA_DIR = "data"
# A folder that has no owner file yet is being made by a start still under way.
_YOUNG_S = 120.0
_PROCFS = Path("/proc/self/stat").exists()
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if _PROCFS else 100

# $1 = the server's folder. `read` returns "done" when the harness stopped the server itself,
# or nothing at EOF: the harness died (any way, SIGKILL included), maybe while the server was
# still starting. Then every process started on that data directory (pg_ctl, the postmaster)
# is stopped, watching until none has been seen for a second, before the folder goes.
_WATCHDOG = r"""
read -r how || how=""
data="$1/data"
ours() {
  ps -eo pid=,args= | awk -v d="$data" \
    '$2 ~ /(postgres|pg_ctl|initdb)$/ && index($0, "-D " d) { print $1 }'
}
if [ "$how" != "done" ]; then
  quiet=0
  i=0
  while [ "$quiet" -lt 10 ] && [ "$i" -lt 300 ]; do
    pids=$(ours)
    if [ -n "$pids" ]; then
      quiet=0
      [ "$i" -lt 100 ] && kill -QUIT $pids 2>/dev/null || kill -KILL $pids 2>/dev/null
    else
      quiet=$((quiet+1))
    fi
    sleep 0.1
    i=$((i+1))
  done
fi
rm -rf "$1"
"""


def new_home(base: Path | None = None) -> Path:
    """A fresh server folder owned by this process (``data/`` is created by initdb)."""
    home = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base or scratch.root()))
    owner = {"pid": os.getpid(), "started": started(os.getpid())}
    (home / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
    return home


def started(pid: int) -> float:
    """When process ``pid`` started, as a value that stays the same for its whole life and in
    every process that asks (psutil.NoSuchProcess when there is none, psutil.AccessDenied
    when this user may not look at it).

    With procfs this is the start in clock ticks since boot (``/proc/<pid>/stat``), not
    psutil's ``create_time()``: that adds the boot time as the wall clock sees it *now*, which
    moves when the clock is stepped or slewed (it moved by a whole second during a CI run, and
    a live harness's server was taken for a killed run's and swept)."""
    if not _PROCFS:  # macOS: there the start time is recorded, not derived from the clock
        return float(psutil.Process(pid).create_time())
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        raise psutil.NoSuchProcess(pid) from None
    except PermissionError:
        raise psutil.AccessDenied(pid) from None
    # Field 22 (starttime); the name in field 2 may hold spaces and parentheses.
    return int(stat[stat.rindex(b")") + 2:].split()[19]) / _CLOCK_TICKS


def same_process(pid: int, start: float) -> bool:
    """True while ``pid`` is still the process that started at ``start`` (see ``started``)
    and has not exited (a zombie has). A process this user may not look at counts as the
    same: nothing is judged gone on what cannot be seen."""
    try:
        return abs(started(pid) - start) < 1e-3 and \
            psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.AccessDenied:
        return True
    except psutil.Error:
        return False


def data_dir(home: Path) -> Path:
    return home / DATA_DIR


@dataclass
class Watchdog:
    """Stops the server in ``home`` and removes the folder once this process lets go of it
    (``release``) or ends."""

    home: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, home: Path) -> Watchdog:
        process = subprocess.Popen(
            ["/bin/sh", "-c", _WATCHDOG, "harness-pg-watchdog", str(home)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        return cls(home, process)

    def release(self, timeout_s: float = 60.0) -> None:
        """The server is stopped: the watchdog removes the folder now; wait for it (no zombie,
        nothing left)."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.write(b"done\n")
                self.process.stdin.close()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def sweep(base: Path | None = None) -> list[str]:
    """Remove what killed runs left in ``base`` (default: every folder a run may have used,
    ``scratch.roots()``): each server folder whose owner process is gone, its server stopped
    first. One line per removal."""
    lines = []
    for home in homes(base):
        if not home.is_dir() or _owner_alive(home):
            continue
        pid = _stop_server(data_dir(home))
        shutil.rmtree(home, ignore_errors=True)
        if home.exists():
            lines.append(f"could not remove {home} (left by a killed run): remove it by hand")
            continue
        server = f"stopped its PostgreSQL (pid {pid}) and " if pid else ""
        lines.append(f"a killed run left an embedded PostgreSQL behind: {server}removed {home}")
    return lines


def homes(base: Path | None = None) -> list[Path]:
    """The server folders in ``base`` (default: every folder a run may have used)."""
    return sorted(h for r in ([base] if base else scratch.roots()) for h in r.glob(f"{PREFIX}*"))


def _owner_alive(home: Path) -> bool:
    try:
        owner = json.loads((home / OWNER_FILE).read_text(encoding="utf-8"))
        pid, start = int(owner["pid"]), float(owner["started"])
    except (OSError, ValueError, KeyError, TypeError):
        # No (readable) owner file: a start still writing it, or not one of ours to judge.
        return time.time() - home.stat().st_mtime < _YOUNG_S
    return same_process(pid, start)


def _stop_server(data: Path) -> int | None:
    """Stop every process started on ``data`` (pg_ctl, the postmaster, whose children follow
    it); the postmaster's pid, or None when nothing ran there."""
    found: list[psutil.Process] = []
    postmaster = None
    for process in psutil.process_iter(["cmdline", "name"]):
        if f"-D {data}" in " ".join(process.info.get("cmdline") or []):
            found.append(process)
            if "postgres" in (process.info.get("name") or ""):
                postmaster = process.pid
    for process in found:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGQUIT)
    _, alive = psutil.wait_procs(found, timeout=10)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    return postmaster
