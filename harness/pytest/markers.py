"""The tags features use, declared as pytest markers (runs use --strict-markers)."""

MARKERS: dict[str, str] = {
    "safety": "the naming reality, tier guard and workflow contract",
    "drill": "the quarterly rollback drill (dry-run acceptance steps)",
    "gate": "the per-cycle promotion gate checklist",
    "promote": "promote as an operation",
    "rollback": "Layer-1 and Layer-2 rollback",
    "migrations": "migration pairing, classification and bookkeeping",
    "step1": "drill step 1, broken image caught by the staging gate",
    "step2": "drill step 2, Layer-1 revert timed",
    "step3": "drill step 3, reversible migration and schema parity",
    "step4": "drill step 4, snapshot restored to a new instance",
    "acceptance": "the drill's acceptance verdict",
    "data": "reads and writes the tier's database (with --backend aws: a DSN in the environment)",
    "slow": "takes more than a few seconds",
    "realtime": "measures real elapsed time: runs on the real clock, never a virtual one",
    "sim_only": "needs sim internals (never runs with --backend aws)",
}
