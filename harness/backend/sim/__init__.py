"""The simulated world: moto for AWS (each tier in its own account), the local sim app per
tier, and a real PostgreSQL behind the RDS instances. Only fixtures and the CLI import this
package; step code and the operations never do, so the real path uses no sim internals."""

from harness.backend.sim.world import SimOptions, SimWorld

__all__ = ["SimOptions", "SimWorld"]
