"""Cold wall time of the default drill (`harness drill` in a new process, sim backend).

Usage: python bench/drill_wall.py [RUNS] [-- extra harness drill args]
Prints each run's wall time (monotonic clock around the whole process) and the median.
Target: <= 20 s on a 2-core machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    head = argv[: argv.index("--")] if "--" in argv else argv
    runs = int(head[0]) if head else 3
    times = []
    for i in range(runs):
        with tempfile.TemporaryDirectory() as reports:
            t0 = time.monotonic()
            out = subprocess.run([sys.executable, "-m", "harness.cli.main", "drill", "--reports",
                                  reports, *extra], capture_output=True, text=True)
            wall = time.monotonic() - t0
        verdict = "PASS" if out.returncode == 0 else f"exit {out.returncode}"
        print(f"run {i + 1}: {wall:6.2f} s  ({verdict})", flush=True)
        times.append(wall)
    print(f"cold drill wall time: median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s over {runs} runs (target <= 20 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
