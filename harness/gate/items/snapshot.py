"""Gate item: production's pre-promotion snapshot for the cycle exists and is available
(taken and waited for under ``--take-snapshot``, the gate's only write)."""

from __future__ import annotations

from harness import naming
from harness.clock import utcnow
from harness.gate.run import prod_tier
from harness.gate.types import GateRun, ItemResult
from harness.io.aws import rds
from harness.world import World


def console_link(region: str, snapshot_id: str) -> str:
    return (f"https://{region}.console.aws.amazon.com/rds/home?region={region}"
            f"#db-snapshot:engine=postgres;id={snapshot_id}")


def prod_snapshot(world: World, tier: str, cycle: str, *, take: bool, interval_s: float,
                  deadline_s: float) -> ItemResult:
    """Find (or, with ``take``, take and wait for) the cycle's pre-promotion snapshot."""
    region = world.topology.region
    template = world.topology.snapshot_template
    details: list[str] = []
    if take:
        name = naming.snapshot_identifier(template, cycle, utcnow())
        taken = rds.take_snapshot(world, tier, name, {naming.TAG_CYCLE: cycle,
                                                      naming.TAG_CREATED_BY: naming.CREATED_BY,
                                                      naming.TAG_REASON: "pre-promotion"})
        waited = rds.wait_available(world, tier, taken.id, deadline_s=deadline_s,
                                    interval_s=interval_s)
        details.append(f"took {taken.id}; {waited.describe()}")
    found = rds.find_pre_promotion_snapshot(world, tier, cycle)
    expected = template.format(timestamp="<YYYYmmddHHMMSS>", cycle=naming.identifier_part(cycle))
    if found is None:
        return ItemResult("failed", f"no pre-promotion snapshot of {world.tier(tier).db_instance} "
                                    f"for cycle {cycle} (expected a manual snapshot named like "
                                    f"{expected})", details=tuple(details),
                          fix="take it: harness gate ... --take-snapshot --allow-prod-write "
                              "(or the runbook's create-db-snapshot command)")
    link = (found.id, console_link(region, found.id))
    details.append(f"snapshot {found.id} ({found.snapshot_type}), status {found.status}, "
                   f"created {found.created_at or '-'}")
    if found.status != rds.AVAILABLE:
        return ItemResult("failed", f"pre-promotion snapshot {found.id} is '{found.status}', "
                                    "not available yet", link, tuple(details),
                          fix="wait until it is available, then re-run the gate")
    return ItemResult("passed", f"snapshot {found.id} is available", link, tuple(details))


def snapshot_item(world: World, run: GateRun) -> ItemResult:
    return prod_snapshot(world, prod_tier(world).name, run.cycle, take=run.options.take_snapshot,
                         interval_s=world.topology.rds_poll_s,
                         deadline_s=world.topology.rds_deadline)
