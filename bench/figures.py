"""What every bench prints: each figure beside a baseline measured in the same run, their
ratio, and the machine's load while it ran (a loaded 2-core machine doubles every time).

Figures and baselines are timed in alternation, round after round, so a change of load hits
both alike; medians are reported. Used by the scripts in bench/ (run as files, not imported
by the harness).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    figure: str
    seconds: float
    baseline: str
    baseline_seconds: float
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds > 0 else float("inf")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def rounds(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median seconds (time.monotonic around each call) of every action, run in turn."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            started = time.monotonic()
            action()
            times[name].append(time.monotonic() - started)
    return {name: statistics.median(found) for name, found in times.items()}


def process(*argv: str, ok: Sequence[int] = (0,),
            env: Mapping[str, str] | None = None) -> Callable[[], object]:
    """An action that runs ``argv`` to its end, output discarded; an unexpected exit code
    stops the bench (a crashed baseline is no baseline)."""
    def run() -> None:
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        if done.returncode not in ok:
            raise SystemExit(f"{argv[0]} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return run


def python_startup(env: Mapping[str, str] | None = None) -> Callable[[], object]:
    """The same interpreter starting and doing nothing: every CLI's floor."""
    return process(sys.executable, "-c", "pass", env=env)


def bytecode_env(prefix: Path) -> dict[str, str]:
    """The environment to time a Python command as installed, i.e. run from bytecode (pip
    compiles a package when it installs it): under PYTHONDONTWRITEBYTECODE=1 a checkout has
    no ``__pycache__`` and every run would compile each of its modules again. The bytecode
    goes under ``prefix``, not into the tree; run each command once before timing it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    return env


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def print_table(title: str, rows: Sequence[Row], *, load_before: str, runs: int) -> None:
    """The figures, their baselines and ratios (figure / baseline: below 1 = faster)."""
    print(f"\n{title}")
    print(f"  load average (1/5/15 min) before {load_before}, after {load()}; "
          f"{os.cpu_count()} CPUs; medians of {runs} runs")
    width_f = max(len("figure"), *(len(r.figure) for r in rows))
    width_b = max(len("baseline"), *(len(r.baseline) for r in rows))
    print(f"  {'figure':<{width_f}}  {'time':>9}  {'baseline':<{width_b}}  {'time':>9}  ratio")
    for r in rows:
        print(f"  {r.figure:<{width_f}}  {fmt(r.seconds):>9}  {r.baseline:<{width_b}}  "
              f"{fmt(r.baseline_seconds):>9}  {r.ratio:5.2f}x{'  ' + r.note if r.note else ''}")
    sys.stdout.flush()
