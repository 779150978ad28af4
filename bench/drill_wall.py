"""Cold wall time of the default drill (`harness drill` in a new process, sim backend) against
its floor, every part of which is measured on its own in the same run:

- imports: a new process importing exactly the modules the drill imported;
- PostgreSQL start: the embedded server started (and stopped) by a process of its own;
- moto's first seeding: both tiers seeded into a fresh moto by a process of its own;
- the checks' own work: the drill's check durations from its evidence (step work, the
  deliberate rollout latencies, and each check's verified undo, which its verdict waits for;
  not the setup between scenarios).

floor = imports + max(PostgreSQL start, moto's first seeding) + checks (the drill overlaps the
server's start with the seeding). Also the drill against `python -c pass`.

Usage: python bench/drill_wall.py [RUNS] [-- extra harness drill args]
Monotonic clock around each whole process (each part: around the operation itself, printed
by its process); medians of RUNS rounds, the parts run in turn with the drill.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from figures import Row, fmt, load, print_table, process, python_startup

# runpy runs the CLI as `python -m` would; atexit runs on exit too, after the drill.
WRAPPER = """import atexit, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
sys.argv[0] = "harness"
runpy.run_module("harness.cli.main", run_name="__main__", alter_sys=True)
"""
# Modules that exist only as aliases or in the process that made them are skipped.
IMPORT_ALL = """import importlib, sys
for name in open(sys.argv[1]).read().split():
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""
POSTGRES_START = """import time
from harness.io.db.providers import open_postgres
started = time.monotonic()
server = open_postgres(use_docker=False)
print(time.monotonic() - started)
server.close()
"""
MOTO_SEEDING = """import os, time
os.environ.update(MOTO_EC2_LOAD_DEFAULT_AMIS="false", AWS_DEFAULT_REGION="us-east-1")
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(name, None)
from moto import mock_aws
from harness import topology
from harness.backend.sim.backend import sim_tier
from harness.backend.sim.databases import seed_database
from harness.backend.sim.seed import seed_tier
from harness.io.aws.session import tier_session
world = topology.load()
with mock_aws():
    started = time.monotonic()
    for tier in (sim_tier(t) for t in world.tiers.values() if t.is_aws):
        session = tier_session(tier, world.region)
        seed_tier(session, tier)
        seed_database(session, tier)
    print(time.monotonic() - started)
"""


UNDO_LINE = "cleanup: took "


def reported(code: str) -> Callable[[], float]:
    """A part measured by a process of its own: the seconds it prints (its imports and
    start-up are the imports figure's, not this part's)."""
    def run() -> float:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"floor part failed: {done.stderr[-800:]}")
        return float(done.stdout.split()[-1])
    return run


def undo_seconds(doc: dict[str, Any]) -> float:
    """What the checks' finalisers took (their "cleanup: took S s" lines): in the checks'
    durations, printed apart to compare with the floor before undo time was counted."""
    total = 0.0
    for check in doc["checks"]:
        for line in str(check["detail"]).splitlines():
            if line.startswith(UNDO_LINE):
                total += float(line[len(UNDO_LINE):].split()[0])
    return total


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    head = argv[: argv.index("--")] if "--" in argv else argv
    runs = int(head[0]) if head else 3
    load_before = load()
    parts: dict[str, list[float]] = {"drill": [], "startup": [], "imports": [], "postgres": [],
                                     "seeding": [], "checks": [], "undo": []}
    verdicts: list[str] = []
    startup, postgres, seeding = python_startup(), reported(POSTGRES_START), reported(MOTO_SEEDING)
    with tempfile.TemporaryDirectory() as tmp:
        modules = Path(tmp) / "modules.txt"
        imports = process(sys.executable, "-c", IMPORT_ALL, str(modules))
        for n in range(runs):
            reports = Path(tmp) / f"reports-{n}"
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-c", WRAPPER, str(modules), "drill",
                                   "--reports", str(reports), *extra], capture_output=True)
            parts["drill"].append(time.monotonic() - started)
            verdicts.append("PASS" if done.returncode == 0 else f"exit {done.returncode}")
            doc = json.loads((reports / "latest" / "evidence.json").read_text())
            parts["checks"].append(sum(c["duration_s"] for c in doc["checks"]))
            parts["undo"].append(undo_seconds(doc))
            print(f"drill run {n + 1}: {parts['drill'][-1]:6.2f} s  ({verdicts[-1]})", flush=True)
            for name, action in (("startup", startup), ("imports", imports)):
                started = time.monotonic()
                action()
                parts[name].append(time.monotonic() - started)
            parts["postgres"].append(postgres())
            parts["seeding"].append(seeding())
        count = len(modules.read_text().split())
    t = {name: statistics.median(found) for name, found in parts.items()}
    floor = t["imports"] + max(t["postgres"], t["seeding"]) + t["checks"]
    no_undo = floor - t["undo"]
    print_table(f"Cold drill (harness drill {' '.join(extra)}; verdicts: {', '.join(verdicts)})", [
        Row("drill, cold, whole process", t["drill"], "its floor (below)", floor),
        Row("drill, cold, whole process", t["drill"], "its floor, the checks' undo left out",
            no_undo),
        Row("drill, cold, whole process", t["drill"], "python -c pass", t["startup"]),
        Row("drill, cold, whole process", t["drill"], f"start-up + import its {count} modules",
            t["imports"]),
    ], load_before=load_before, runs=runs)
    print(f"  floor {fmt(floor)} = imports {fmt(t['imports'])} + max(PostgreSQL start "
          f"{fmt(t['postgres'])}, moto's first seeding {fmt(t['seeding'])}) + the checks' own "
          f"work {fmt(t['checks'])} (with the deliberate rollout latencies and each check's "
          f"verified undo, {fmt(t['undo'])})")
    print(f"  above the floor: {fmt(t['drill'] - floor)} (sim resets between scenarios, "
          "pytest's own collection and reporting, writing the run folder, stopping)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
