"""Cold wall time of the default drill (`harness drill` in a new process, sim backend), against
the same interpreter's start-up and against start-up plus importing every module the drill
imported, all measured in one run.

Usage: python bench/drill_wall.py [RUNS] [-- extra harness drill args]
Each drill runs as `python -m harness.cli.main drill` under a two-line wrapper that writes
the names in sys.modules when the process exits; the import baseline is a new process
importing exactly those modules. Monotonic clock around each whole process; medians.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import Row, load, print_table, process, python_startup, rounds

# runpy runs the CLI as `python -m` would; atexit runs on sys.exit too, after the drill.
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


def drill(extra: list[str], modules: Path) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as reports:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", WRAPPER, str(modules), "drill",
                               "--reports", reports, *extra], capture_output=True, text=True)
        return time.monotonic() - started, done.returncode


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    head = argv[: argv.index("--")] if "--" in argv else argv
    runs = int(head[0]) if head else 3
    load_before = load()
    with tempfile.TemporaryDirectory() as tmp:
        modules = Path(tmp) / "modules.txt"
        verdicts: list[str] = []

        def one_drill() -> None:
            wall, code = drill(extra, modules)
            verdicts.append("PASS" if code == 0 else f"exit {code}")
            print(f"drill run {len(verdicts)}: {wall:6.2f} s  ({verdicts[-1]})", flush=True)

        # In each round the drill runs first, so the module list exists for the imports.
        t = rounds({"drill": one_drill, "startup": python_startup(),
                    "imports": process(sys.executable, "-c", IMPORT_ALL, str(modules))}, runs)
        count = len(modules.read_text().split())
    print_table(f"Cold drill (harness drill {' '.join(extra)}; verdicts: {', '.join(verdicts)})", [
        Row("drill, cold, whole process", t["drill"], "python -c pass", t["startup"]),
        Row("drill, cold, whole process", t["drill"], f"start-up + import its {count} modules",
            t["imports"]),
    ], load_before=load_before, runs=runs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
