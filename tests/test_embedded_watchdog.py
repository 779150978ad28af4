"""The embedded PostgreSQL dies with the process that started it, even on SIGKILL (no
finaliser, no atexit): its watchdog sees the pipe close, stops the server and removes its
folder. A real server in a real process, killed for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from harness.io.db import embedded

ROOT = Path(__file__).resolve().parents[1]

# Opens a throwaway embedded server, prints its folder and postmaster pid, then waits to die.
_HOLDER = """
import json, os, time
from harness.io.db import embedded
from harness.io.db.providers import open_postgres
server = open_postgres(use_docker=False)
for home in embedded.homes():
    owner = home / embedded.OWNER_FILE
    if owner.is_file() and json.loads(owner.read_text())["pid"] == os.getpid():
        pid = int((home / "data" / "postmaster.pid").read_text().split()[0])
        print(json.dumps({"home": str(home), "postmaster": pid}), flush=True)
time.sleep(600)
"""


def _gone(pid: int, created: float) -> bool:
    return not embedded.same_process(pid, created)


@pytest.mark.slow
def test_sigkill_of_the_harness_stops_its_embedded_postgresql_and_removes_its_folder() -> None:
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_SIM_POSTGRES_DSN"}
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line, f"the holder ended (code {holder.poll()}) before its server started"
        seen = json.loads(line)
        home, postmaster = Path(seen["home"]), int(seen["postmaster"])
        created = embedded.started(postmaster)
        assert home.is_dir() and not _gone(postmaster, created)
        watchdogs = [p for p in psutil.Process(holder.pid).children()
                     if "harness-pg-watchdog" in " ".join(p.cmdline())]
        assert len(watchdogs) == 1, "the server has no watchdog"

        holder.send_signal(signal.SIGKILL)  # the harness alone: its watchdog lives on
        assert holder.wait(30) == -signal.SIGKILL
        deadline = time.monotonic() + 60
        while not (_gone(postmaster, created) and not home.exists()):
            assert time.monotonic() < deadline, (
                f"60 s after SIGKILL: postmaster {'gone' if _gone(postmaster, created) else 'alive'}"
                f", folder {'present' if home.exists() else 'removed'}")
            time.sleep(0.2)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_a_folder_whose_owner_is_gone_is_swept_with_a_line_saying_so(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    home = Path(tempfile.mkdtemp(prefix=embedded.PREFIX, dir=tmp_path))
    (home / embedded.OWNER_FILE).write_text(json.dumps(
        {"pid": int(dead.stdout), "started": 0.0}), encoding="utf-8")
    (home / embedded.DATA_DIR).mkdir()
    alive = embedded.new_home(tmp_path)  # this process's: never touched
    lines = embedded.sweep(tmp_path)
    assert lines == [f"a killed run left an embedded PostgreSQL behind: removed {home}"]
    assert not home.exists() and alive.is_dir()


def _home_of(tmp_path: Path, pid: int, start: float) -> Path:
    home = Path(tempfile.mkdtemp(prefix=embedded.PREFIX, dir=tmp_path))
    (home / embedded.OWNER_FILE).write_text(json.dumps({"pid": pid, "started": start}),
                                            encoding="utf-8")
    (home / embedded.DATA_DIR).mkdir()
    return home


def test_a_folder_whose_pid_now_belongs_to_another_process_is_swept(tmp_path: Path) -> None:
    reused = _home_of(tmp_path, os.getpid(), embedded.started(os.getpid()) - 5.0)
    assert len(embedded.sweep(tmp_path)) == 1 and not reused.exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs procfs")
def test_a_clock_step_does_not_make_a_live_owner_look_killed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """psutil's create_time() adds the boot time the wall clock implies now; a CI machine's
    clock moved it by a second mid-run and the sweep stopped live servers. The owner's start
    is boot-relative, so a moved boot time changes nothing."""
    alive = embedded.new_home(tmp_path)
    real = psutil.boot_time()
    monkeypatch.setattr(psutil._pslinux, "boot_time", lambda: real + 1.0)
    assert embedded.sweep(tmp_path) == [] and alive.is_dir()
