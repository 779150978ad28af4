"""The simulated world: moto for AWS (each tier in its own account), the local sim app per
tier, and a real PostgreSQL behind the RDS instances. Only the backend registry, fixtures
and tests import this package; core code never does, so the real path uses no sim internals.
``SimBackend`` is imported on first use, so a stand-in process can use one module of the
package (e.g. the app) without loading moto."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.backend.sim.backend import SimBackend, SimOptions

__all__ = ["SimBackend", "SimOptions"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from harness.backend.sim import moto_import

        moto_import.load()
        from harness.backend.sim import backend

        return getattr(backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
