"""Copies of the sim's seed database made ahead of need, in the background.

After every reset each seeded RDS instance is owed a fresh copy of the seed, made on first
use (``CREATE DATABASE ... TEMPLATE``: 0.05-0.2 s, more on a loaded machine) inside the next
scenario. With a spare copy ready, that first use is a rename (milliseconds), and the next
spare is made while the scenario runs. A spare is an untouched copy of the seed, so the
world a scenario sees is the same either way; if making one fails, the data plane simply
copies the seed itself as before.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable

from harness.io.db.providers import PostgresServer


class SpareCopies:
    def __init__(self, server: Callable[[], PostgresServer], seed: str, prefix: str) -> None:
        self._server = server
        self._seed = seed
        self._prefix = prefix  # the data plane's own prefix: its reset and close see them
        self._ready: list[str] = []
        self._lock = threading.Lock()
        self._maker: threading.Thread | None = None
        self._broken = False

    def take(self) -> str | None:
        """A ready spare's name (now the caller's), or None."""
        with self._lock:
            return self._ready.pop() if self._ready else None

    def names(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._ready)

    def fill(self, want: int) -> None:
        """Make spares in the background until ``want`` are ready (no-op while making)."""
        with self._lock:
            if self._broken or (self._maker is not None and self._maker.is_alive()) or \
                    len(self._ready) >= want:
                return
            self._maker = threading.Thread(target=self._make, args=(want,),
                                           name="sim-spare-copies", daemon=True)
            self._maker.start()

    def wait(self) -> None:
        """Until the spares being made are made (before a reset or close lists databases)."""
        maker = self._maker
        if maker is not None:
            maker.join()

    def forget(self) -> None:
        """The spares are gone (dropped with every other database of the data plane)."""
        self.wait()
        with self._lock:
            self._ready.clear()

    def _make(self, want: int) -> None:
        while True:
            with self._lock:
                if len(self._ready) >= want:
                    return
            name = f"{self._prefix}spare_{secrets.token_hex(4)}"
            try:
                self._server().create_database(name, template=self._seed)
            except Exception:
                self._broken = True  # copying the seed on demand still works
                return
            with self._lock:
                self._ready.append(name)
