"""Stopping a run: SIGINT at three phases of a drill and SIGTERM once give evidence that says
``incomplete`` (never pass) in every rendering, exit 130 / 143, the undo run, no process left
that the harness started and no embedded PostgreSQL data directory left; a drill killed with
SIGKILL (its watchdog killed too) leaves a server behind that the next drill start removes,
saying so. The drills run as real processes, side by side, to keep the wall time down."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from harness import interrupts
from harness.backend.sim.seed import REVISIONS, image_sha
from harness.io.db import embedded

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 600


@dataclass
class Drill:
    """A `harness drill` process, watched: its output lines, every process it started, and
    its embedded PostgreSQL (folder and postmaster)."""

    reports: Path
    args: tuple[str, ...] = ()
    command: list[str] | None = None  # another command than `drill` (no --reports for rollback)
    lines: list[str] = field(default_factory=list)
    descendants: dict[int, float] = field(default_factory=dict)
    homes: set[Path] = field(default_factory=set)
    postmasters: dict[int, float] = field(default_factory=dict)
    code: int | None = None
    proc: subprocess.Popen[str] | None = None

    def start(self) -> Drill:
        argv = ([*self.command, "--sim-rollout-latency", "3"] if self.command else
                ["drill", "--sim-rollout-latency", "0.3", *self.args])
        if argv[0] != "rollback":
            argv += ["--reports", str(self.reports)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness.cli.main", *argv],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={k: v for k, v in os.environ.items() if k != "HARNESS_SIM_POSTGRES_DSN"})
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def _watch(self) -> None:
        assert self.proc is not None
        while self.proc.poll() is None:
            try:
                for child in psutil.Process(self.proc.pid).children(recursive=True):
                    self.descendants.setdefault(child.pid, embedded.started(child.pid))
            except psutil.Error:
                pass
            for home in embedded.homes():
                self._note_home(home)
            time.sleep(0.1)

    def _note_home(self, home: Path) -> None:
        assert self.proc is not None
        try:
            owner = json.loads((home / embedded.OWNER_FILE).read_text())
            if owner["pid"] != self.proc.pid:
                return
            self.homes.add(home)
            pid = int((home / "data" / "postmaster.pid").read_text().split("\n", 1)[0])
            self.postmasters.setdefault(pid, embedded.started(pid))
        except (OSError, ValueError, KeyError, psutil.Error):
            return

    def wait_for(self, text: str) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + TIMEOUT_S
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None, f"ended before {text!r}:\n" + "\n".join(self.lines)
            assert time.monotonic() < deadline, f"{text!r} never printed"
            time.sleep(0.05)

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def wait(self) -> int:
        assert self.proc is not None
        self.code = self.proc.wait(TIMEOUT_S)
        time.sleep(0.3)  # the reader thread drains the pipe
        return self.code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def run_dir(self) -> Path:
        return (self.reports / "latest").resolve()

    def left_alive(self) -> list[str]:
        """Processes this drill started (and its PostgreSQL) still running a while after it
        ended; each identified by pid and start time, so a reused pid does not count."""
        deadline = time.monotonic() + 15
        while True:
            alive = [f"{pid} {_name(pid)}" for pid, created in
                     {**self.descendants, **self.postmasters}.items()
                     if embedded.same_process(pid, created)]
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.2)


def _name(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())[:120]
    except psutil.Error:
        return "?"


FIRST = "The drill is aimed at a drill-enabled tier with that tier's credentials"
STEP2 = "When the tier is reverted to the revision it ran before the broken deploy"
STEP3 = "When the test migration is applied to the tier's database and its down is run"
STEP4 = "When the snapshot is restored to a new instance and the application is pointed at it"
# The scenario each marker step belongs to: the stop comes at the next safe point, which may
# be a later step of the same scenario (a quick step can finish before the signal is taken).
REVERT = "The tier is reverted to the revision it ran before the broken deploy"
MIGRATION = "A reversible test migration is applied and undone"
RESTORE = "A snapshot of the drill tier restores to a new instance"


def interrupted_at(reports: Path, marker: str, signum: int) -> Drill:
    drill = Drill(reports).start()
    drill.wait_for(marker)
    drill.signal(signum)
    drill.wait()
    return drill


def killed_then_next_start(tmp: Path) -> tuple[Drill, Drill]:
    """Drill A SIGKILLed with its watchdog (nothing of it runs any more); drill B starts next
    and is stopped with SIGTERM in step 3."""
    first = Drill(tmp / "killed").start()
    first.wait_for("When a deliberately broken image is deployed to the tier")
    assert first.proc is not None
    victims = [p for p in psutil.Process(first.proc.pid).children(recursive=True)]
    for process in [psutil.Process(first.proc.pid), *victims]:
        process.kill()
    first.wait()
    second = Drill(tmp / "next").start()
    second.wait_for(STEP3)
    second.signal(signal.SIGTERM)
    second.wait()
    return first, second


def operation(reports: Path, args: list[str], marker: str, after_s: float) -> Drill:
    """`harness promote` / `rollback` in the sim (a 3 s rollout), stopped with SIGINT
    ``after_s`` after ``marker`` is printed."""
    run = Drill(reports, command=args)
    run.start()
    run.wait_for(marker)
    time.sleep(after_s)
    run.signal(signal.SIGINT)
    run.wait()
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    tmp = tmp_path_factory.mktemp("interrupts")
    jobs: dict[str, Callable[[], object]] = {
        # The first scenario starts the sim (moto, sim apps, PostgreSQL) in its first step.
        "start-up": lambda: interrupted_at(tmp / "a", f"..   {FIRST}", signal.SIGINT),
        "revert": lambda: interrupted_at(tmp / "b", STEP2, signal.SIGINT),
        "restore": lambda: interrupted_at(tmp / "c", STEP4, signal.SIGINT),
        "killed": lambda: killed_then_next_start(tmp),
        "promote": lambda: operation(tmp / "p", [
            "promote", "--sha", image_sha("staging", REVISIONS), "--cycle", "NQU-865",
            "--reason", "NQU-865 interrupted on purpose", "--allow-prod-write"], "PROMOTE",
            after_s=2.5),
        # Printed before the sim starts: the stop comes while it starts, before any change.
        "rollback": lambda: operation(tmp / "r", ["rollback", "--tier", "staging", "--reason",
                                                  "INC-1 interrupted on purpose"], "ROLLBACK",
                                      after_s=1.0),
    }
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        yield {name: future.result() for name, future in futures.items()}


def assert_stopped_cleanly(drill: Drill, signum: int) -> dict[str, object]:
    assert drill.code == interrupts.exit_code(signum), drill.output
    doc = json.loads((drill.run_dir() / "evidence.json").read_text())
    assert doc["verdict"] == "incomplete", drill.output
    assert doc["stopped"]["signal"] == signal.Signals(signum).name
    assert doc["stopped"]["undo"] == "ran" and doc["stopped"]["left"] == []
    # The check running when the signal came is "interrupted", every later one "not_run".
    statuses = [c["status"] for c in doc["checks"]]
    stopped_at = statuses.index("interrupted")
    assert statuses.count("interrupted") == 1, statuses
    assert set(statuses[stopped_at + 1:]) <= {"not_run"}, statuses
    # Every rendering says so: console, summary.md, report.html, junit.xml, history.
    assert "DRILL INCOMPLETE" in drill.output and "stopped by" in drill.output
    run_dir = drill.run_dir()
    summary = (run_dir / "summary.md").read_text()
    assert summary.startswith("## DRILL INCOMPLETE") and "PASS" not in summary.splitlines()[0]
    html = (run_dir / "report.html").read_text()
    assert 'class="banner incomplete"' in html and "DRILL INCOMPLETE" in html
    junit = (run_dir / "junit.xml").read_text()
    assert "<error" in junit and 'name="verdict" value="incomplete"' in junit
    history = [json.loads(line) for line in
               (drill.reports / "history.jsonl").read_text().splitlines()]
    assert history[-1]["run_id"] == doc["run_id"] and history[-1]["incomplete"] is True
    # Nothing the harness started outlives it; its PostgreSQL and data directory are gone.
    assert drill.homes, "the drill's embedded PostgreSQL was never seen"
    assert drill.left_alive() == []
    assert not any(home.exists() for home in drill.homes)
    return doc


@pytest.mark.slow
@pytest.mark.parametrize(("phase", "where"), [
    ("start-up", FIRST), ("revert", REVERT), ("restore", RESTORE)])
def test_sigint_stops_a_drill_at_each_phase_cleanly(runs: dict[str, object], phase: str,
                                                    where: str) -> None:
    drill = runs[phase]
    assert isinstance(drill, Drill)
    doc = assert_stopped_cleanly(drill, signal.SIGINT)
    assert where in str(doc["stopped"]["where"])
    assert doc["expected_checks"] == len(doc["checks"]) == 7


@pytest.mark.slow
def test_sigterm_stops_a_drill_cleanly_and_the_next_start_removes_a_killed_ones_leftovers(
        runs: dict[str, object]) -> None:
    first, second = runs["killed"]  # type: ignore[misc]
    assert isinstance(first, Drill) and isinstance(second, Drill)
    assert first.code == -signal.SIGKILL
    # The killed drill's server outlived it (its watchdog was killed too) until the next start.
    [home] = first.homes
    assert f"removed {home}" in second.output, second.output
    assert "a killed run left an embedded PostgreSQL behind" in second.output
    assert not home.exists() and first.left_alive() == []
    doc = assert_stopped_cleanly(second, signal.SIGTERM)
    assert MIGRATION in str(doc["stopped"]["where"])


@pytest.mark.slow
def test_sigint_stops_a_promote_releasing_its_lock_and_a_rollback(
        runs: dict[str, object]) -> None:
    promote, rollback = runs["promote"], runs["rollback"]
    assert isinstance(promote, Drill) and isinstance(rollback, Drill)
    assert promote.code == 130, promote.output
    doc = json.loads((promote.run_dir() / "evidence.json").read_text())
    assert doc["verdict"] == "incomplete" and doc["stopped"]["undo"] == "ran"
    assert doc["decision"]["verdict"] == "fail"
    phases = {c["name"]: c["status"] for c in doc["checks"]}
    assert list(phases.values()).count("interrupted") == 1, phases
    # Once the lock was taken, the stop released it (the undo); stopped while taking it,
    # there was nothing to release.
    released = any(n.startswith("undone after the stop: the tier lock") for n in doc["notes"])
    assert released or phases.get("tier lock") == "interrupted", (phases, doc["notes"])
    assert promote.left_alive() == [] and not any(h.exists() for h in promote.homes)
    assert rollback.code == 130, rollback.output
    assert "interrupted by SIGINT" in rollback.output
    assert rollback.left_alive() == [] and not any(h.exists() for h in rollback.homes)
