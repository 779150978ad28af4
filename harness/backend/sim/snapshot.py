"""moto's in-memory state at one instant, put back on demand: how the sim gives each scenario
the freshly seeded world without seeding it again.

Re-seeding through the API costs a few hundred calls (~0.15-0.2 s quiet, seconds under load);
a deep copy of the seeded backends' state costs ~0.01-0.03 s. Every moto backend is one
``BaseBackend`` per (service, account, region) held in a ``BackendDict``; its state is its
``__dict__`` (moto's own reset replaces the ``__dict__`` too). The copy keeps references
between backends and to their locks as they are: both stay the live objects.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

from moto.core.base_backend import BackendDict

_LOCKS = (type(threading.Lock()), type(threading.RLock()))
# Every BackendDict in use (moto keeps the list on the class; its reset empties it).
_IN_USE: list[Any] = BackendDict._instances  # type: ignore[misc]
# Where a backend lives: the per-account dict holding it, and its region (its key there).
Slot = tuple[dict[str, Any], str, Any]


def _slots() -> Iterator[Slot]:
    for services in list(_IN_USE):
        for regions in list(services.values()):
            for region, backend in list(regions.items()):
                yield regions, region, backend


def _shared(slots: list[Slot]) -> dict[int, Any]:
    """deepcopy's memo: the backends and their locks map to themselves (never copied)."""
    memo: dict[int, Any] = {id(b): b for _, _, b in slots}
    for _, _, backend in slots:
        memo.update({id(v): v for v in vars(backend).values() if isinstance(v, _LOCKS)})
    return memo


class MotoState:
    """The state of every moto backend that exists when ``take`` is called."""

    def __init__(self, services: list[Any], slots: list[Slot], state: list[dict[str, Any]]) -> None:
        self._services = services
        self._slots = slots
        self._state = state

    @classmethod
    def take(cls) -> MotoState:
        slots = list(_slots())
        state = copy.deepcopy([dict(vars(b)) for _, _, b in slots], _shared(slots))
        return cls(list(_IN_USE), slots, state)

    def restore(self) -> None:
        """Every backend back to its state at ``take``; backends made since (another account,
        region or service) are dropped, as moto's reset drops them, and come back empty."""
        fresh = copy.deepcopy(self._state, _shared(self._slots))
        kept = {id(b) for _, _, b in self._slots}
        for regions, region, backend in list(_slots()):
            if id(backend) not in kept:
                dict.__delitem__(regions, region)
        for services in _IN_USE:
            if not any(services is s for s in self._services):
                services.clear()
        _IN_USE[:] = self._services
        for (regions, region, backend), state in zip(self._slots, fresh, strict=True):
            backend.__dict__ = state
            dict.__setitem__(regions, region, backend)
