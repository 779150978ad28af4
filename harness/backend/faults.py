"""The faults a rehearsal world (the sim) can inject, by name, with what each breaks and the
commands it rehearses. Light on purpose: the CLI lists and validates them without starting
or importing the sim."""

from __future__ import annotations

KNOWN_FAULTS: dict[str, str] = {
    "never-recover": "once a broken revision is live, no later revision rolls out "
                     "(a Layer-1 revert never becomes healthy)",
    "promote-broken-build": "harness promote: the promoted build fails its deep health on "
                            "the target tier (exercises the automatic rollback)",
    "restore-fails": "a snapshot restore never becomes available (ends in incompatible-restore)",
    "corrupt-restore": "a restored database differs from its snapshot (one row lost)",
    "down-migration-fails": "harness rollback data: the migration's down fails when run (the "
                            "snapshot restore is the fallback)",
    "migration-lost-data": "harness rollback data: the staged migration deleted rows (run "
                           "with --data-corrupt: the snapshot restore brings them back)",
    "gate-staging-unhealthy": "staging's deep health reports its database failing",
    "gate-smoke-red": "the smoke-suite run for the validated SHA failed",
    "gate-down-not-restoring": "a cycle migration's down leaves the schema changed",
    "gate-pending-no-down": "a migration pending for prod has no down file",
    "gate-webhook-double": "staging's Stripe webhook processes a repeated event twice",
    "gate-no-snapshot": "prod has no pre-promotion snapshot for the cycle",
    "gate-snapshot-creating": "prod's pre-promotion snapshot is still being created",
}

_GATE = frozenset({"gate"})
# The commands each fault means something to; given to any other, it would be silently
# ignored and the run would pass, so it is refused instead. (A pytest run of the features,
# kind "tests", accepts every fault.)
FAULT_COMMANDS: dict[str, frozenset[str]] = {
    "never-recover": frozenset({"drill", "rollback", "promote"}),
    "promote-broken-build": frozenset({"promote"}),
    "restore-fails": frozenset({"drill"}),
    "corrupt-restore": frozenset({"drill"}),
    "down-migration-fails": frozenset({"rollback"}),
    "migration-lost-data": frozenset({"rollback"}),
    **{name: _GATE for name in KNOWN_FAULTS if name.startswith("gate-")},
}


def faults_for(command: str) -> list[str]:
    """The faults ``command`` accepts, sorted."""
    return sorted(f for f, commands in FAULT_COMMANDS.items() if command in commands)
