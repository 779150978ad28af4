"""The simulated world: moto for AWS (each tier in its own account), the local sim app per
tier, and a real PostgreSQL behind the RDS instances. Only the backend registry, fixtures
and tests import this package; core code never does, so the real path uses no sim internals."""

from harness.backend.sim.backend import SimBackend, SimOptions

__all__ = ["SimBackend", "SimOptions"]
