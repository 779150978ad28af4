"""The seam between the harness and the world it acts on.

A :class:`Backend` gives the World the topology as it is served (the sim replaces URLs,
roles and the poll profile), one boto3 session per tier, where each tier's database is
reached, what the evidence must say about it, and, for a simulated world only, the
rehearsal hooks that break things on purpose. Core code talks to this protocol and never
asks which backend it has.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import boto3

from harness.io.db.endpoints import Databases
from harness.topology import Tier, Topology

if TYPE_CHECKING:
    from harness.io.db.providers import PostgresServer
    from harness.world import World


class StagedCycle(Protocol):
    """What a rehearsal world tells the gate about the promotion cycle it staged."""

    @property
    def cycle(self) -> str: ...
    @property
    def sha(self) -> str: ...
    @property
    def prod_sha(self) -> str: ...
    @property
    def migrations_dir(self) -> Path: ...
    @property
    def changed_files(self) -> tuple[str, ...]: ...


class StagedIncident(Protocol):
    """What a rehearsal world tells `harness rollback data` about the incident it staged."""

    @property
    def migrations_dir(self) -> Path: ...
    @property
    def note(self) -> str: ...


class Rehearsal(Protocol):
    """Hooks only a simulated world can honour: breaking a build, staging a gate cycle or a
    data incident."""

    def break_build(self, tier: str, sha: str) -> None:
        """From now on a revision running image ``sha`` on ``tier`` answers its deep
        health non-ok."""

    def stage_gate_cycle(self, world: World, cycle: str | None) -> StagedCycle:
        """Stage a promotion cycle (migrations, smoke run, snapshot, webhook) for the gate."""

    def stage_data_incident(self, world: World, tier: str, version: str) -> StagedIncident:
        """Stage what a Layer-2 rollback of migration ``version`` on ``tier`` takes back: a
        pre-promotion snapshot, then the migration applied after it (once per world)."""

    def scratch_server(self) -> PostgresServer:
        """A PostgreSQL server for scratch copies (the world's own, no second start)."""


class Backend(Protocol):
    @property
    def name(self) -> str:
        """The evidence's backend label: ``sim`` or ``aws``."""

    @property
    def simulated(self) -> bool:
        """Everything this backend reports is labelled SIMULATED."""

    @property
    def topology(self) -> Topology:
        """The topology as this backend serves it."""

    @property
    def databases(self) -> Databases: ...

    @property
    def rehearsal(self) -> Rehearsal | None:
        """The rehearsal hooks, or None on real accounts."""

    def session(self, tier: Tier) -> boto3.Session:
        """A session acting as ``tier``'s caller (its profile, then its role)."""

    def notes(self) -> list[str]:
        """What a reader of the evidence must know about this backend's settings."""

    def reset(self) -> None:
        """A clean world for the next scenario (nothing to do on real accounts)."""

    def close(self) -> None: ...
