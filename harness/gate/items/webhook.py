"""Gate item: when the cycle touched billing, one Stripe-signed test event delivered twice to
staging's webhook is acknowledged twice and processed once."""

from __future__ import annotations

import os
from collections.abc import Mapping

from harness.gate import webhook
from harness.gate.billing import BillingDecision
from harness.gate.types import GateRun, ItemResult, ItemStatus
from harness.io.http.health import basic_auth_header
from harness.topology import Tier
from harness.world import World


def webhook_idempotency(tier: Tier, dsn: str, decision: BillingDecision, *,
                        label: str, env: Mapping[str, str] | None = None) -> ItemResult:
    if not decision.touched:
        return ItemResult("not_applicable", f"not applicable: {decision.reason}")
    if not tier.has_webhook or tier.webhook_processed_query is None:
        return ItemResult("failed", f"the cycle touches billing ({decision.reason}) but tier "
                                    f"'{tier.name}' has no webhook configured",
                          fix="set webhook_path, webhook_secret_env and webhook_processed_query "
                              f"under [tiers.{tier.name}]")
    url = webhook.webhook_url(tier)
    result = webhook.check_idempotent(url, webhook.signing_secret(tier, env), dsn,
                                      tier.webhook_processed_query, label=label,
                                      authorization=basic_auth_header(
                                          tier, os.environ if env is None else env),
                                      tls_verify=tier.tls_verify)
    details = (f"billing: {decision.reason}",
               *(f"delivery {i}: HTTP {d.status} in {d.seconds:.2f} s"
                 for i, d in enumerate(result.deliveries, 1)),
               f"processed count: {result.processed}")
    status: ItemStatus = "passed" if result.ok else "failed"
    return ItemResult(status, result.reason, ("test event", result.event_id), details,
                      fix=None if result.ok else
                      "make the handler skip an event id it has already processed")


def webhook_item(world: World, run: GateRun, decision: BillingDecision) -> ItemResult:
    staging = world.tier("staging")
    if not decision.touched:
        return webhook_idempotency(staging, "", decision, label=run.cycle)
    return webhook_idempotency(staging, world.databases.source_dsn(staging), decision,
                               label=f"cycle {run.cycle}")
