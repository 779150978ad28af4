"""How accurate is the Layer-1 RTO instrument? Injects a known rollout latency L into the sim
and prints measured recovery times for several L and poll intervals.

    python bench/rto_accuracy.py [--repeat 3] [--latencies 0.5 1 2] [--polls 0.05 0.1 0.25 0.5]

The expected bound is L <= measured <= L + poll interval + 50 ms: the baseline of each row is
the latency injected in the same run. The machine's load is printed before and after.
"""

from __future__ import annotations

import argparse
import statistics

from figures import load

from harness import topology
from harness.backend.sim import SimBackend, SimOptions
from harness.rollback.recovery import RecoverySettings, service, swap_and_verify
from harness.world import World


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.5, 1.3, 2.0])
    parser.add_argument("--polls", type=float, nargs="+", default=[0.05, 0.1, 0.25, 0.5])
    args = parser.parse_args()
    print(f"load average (1/5/15 min) before: {load()}")
    print(f"{'L (s)':>6} {'poll (s)':>8} {'n':>2} {'min (s)':>8} {'mean (s)':>8} {'max (s)':>8} "
          f"{'max err (s)':>11} {'bound (s)':>9} within")
    with SimBackend(topology.load()) as sim:
        for latency in args.latencies:
            sim.reconfigure(SimOptions(latency))
            for poll in args.polls:
                world = World(sim)
                ecs = service(world, "staging")
                numbers = ecs.revision_numbers()
                settings = RecoverySettings(poll, 3, sim.options.deadline_s,
                                            world.topology.application_rto_s)
                measured = []
                for _ in range(args.repeat):
                    current = ecs.current().number
                    target = ecs.describe(numbers[-2] if current == numbers[-1] else numbers[-1])
                    result = swap_and_verify(world, "staging", target, ecs=ecs, settings=settings)
                    measured.append(result.measurement.seconds)
                bound = latency + poll + 0.05
                ok = all(latency <= m <= bound for m in measured)
                print(f"{latency:>6.2f} {poll:>8.2f} {len(measured):>2} {min(measured):>8.3f} "
                      f"{statistics.mean(measured):>8.3f} {max(measured):>8.3f} "
                      f"{max(measured) - latency:>11.3f} {bound:>9.3f} {'yes' if ok else 'NO'}")
    print(f"load average (1/5/15 min) after: {load()}")


if __name__ == "__main__":
    main()
