"""Stripe webhook idempotency: deliver one signed test event twice to a tier's webhook
endpoint, then count in the tier's database how often it was processed (exactly once is the
only passing answer). The signing secret comes from the environment and is never shown."""

from __future__ import annotations

import os
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg

from harness.clock import poll_until
from harness.errors import CheckFailed, ConfigError
from harness.gate import stripe_signature
from harness.redact import mask_dsn
from harness.topology import Tier

TIMEOUT_S = 10.0
# How long to wait for the first processing, and how long to keep watching for a second one.
PROCESS_DEADLINE_S = 10.0
SETTLE_S = 0.5
POLL_S = 0.1


@dataclass(frozen=True)
class Delivery:
    status: int
    seconds: float
    body: str

    @property
    def acknowledged(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class IdempotencyResult:
    event_id: str
    url: str
    deliveries: tuple[Delivery, ...]
    processed: int

    @property
    def ok(self) -> bool:
        return all(d.acknowledged for d in self.deliveries) and self.processed == 1

    @property
    def reason(self) -> str:
        statuses = ", ".join(f"HTTP {d.status}" for d in self.deliveries)
        unacked = [i + 1 for i, d in enumerate(self.deliveries) if not d.acknowledged]
        if unacked:
            which = " and ".join(f"#{i}" for i in unacked)
            return (f"delivery {which} of event {self.event_id} not acknowledged ({statuses}); "
                    "Stripe would retry it")
        if self.processed == 1:
            return f"event {self.event_id} delivered twice ({statuses}), processed exactly once"
        if self.processed == 0:
            return f"event {self.event_id} acknowledged ({statuses}) but never processed"
        return (f"event {self.event_id} delivered twice ({statuses}) and processed "
                f"{self.processed} times: the handler is not idempotent")


def webhook_url(tier: Tier) -> str:
    if not tier.has_webhook or tier.webhook_path is None:
        raise ConfigError(f"tier '{tier.name}' has no webhook configured",
                          fix=f"set webhook_path, webhook_secret_env and webhook_processed_query "
                              f"under [tiers.{tier.name}]")
    return tier.health_url.rstrip("/") + tier.webhook_path


def signing_secret(tier: Tier, env: Mapping[str, str] | None = None) -> str:
    name = tier.webhook_secret_env or ""
    value = (os.environ if env is None else env).get(name, "")
    if not value:
        raise ConfigError(f"no Stripe signing secret: environment variable {name} is not set",
                          where=f"tiers.{tier.name}.webhook_secret_env",
                          fix=f"export {name} with the staging endpoint's test-mode signing "
                              "secret (whsec_...)")
    return value


def deliver(url: str, event: stripe_signature.TestEvent, secret: str, *,
            authorization: str | None = None, tls_verify: bool = True,
            timeout_s: float = TIMEOUT_S) -> Delivery:
    """POST the event once, signed now (as Stripe signs each delivery attempt)."""
    headers = {"Content-Type": "application/json; charset=utf-8",
               "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) promotion-harness",
               stripe_signature.HEADER: stripe_signature.sign(event.payload, secret)}
    if authorization is not None:
        headers["Authorization"] = authorization
    request = urllib.request.Request(url, data=event.payload, headers=headers, method="POST")
    context = None if tls_verify else ssl._create_unverified_context()
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout_s, context=context) as response:
            return Delivery(response.status, time.monotonic() - started,
                            response.read(500).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return Delivery(exc.code, time.monotonic() - started,
                        exc.read(500).decode("utf-8", "replace"))
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CheckFailed(f"webhook endpoint unreachable: {reason}", where=url,
                          fix=f"check the tier's URL; each delivery times out after {timeout_s:g} s"
                          ) from None


def processed_count(dsn: str, query: str, event_id: str) -> int:
    """Run the topology's count query with the event id bound to %(event_id)s."""
    try:
        with psycopg.connect(dsn, connect_timeout=10) as conn:
            row = conn.execute(query, {"event_id": event_id}).fetchone()  # type: ignore[arg-type]
    except psycopg.Error as exc:
        raise CheckFailed(f"the processed-count query failed: {exc}".strip(), where=mask_dsn(dsn),
                          fix="check webhook_processed_query and the tier's database") from None
    if row is None or not isinstance(row[0], int):
        raise CheckFailed(f"the processed-count query returned {row!r}, not one integer",
                          fix="make webhook_processed_query a SELECT count(*) ...")
    return row[0]


def check_idempotent(url: str, secret: str, dsn: str, query: str, *, label: str,
                     authorization: str | None = None, tls_verify: bool = True,
                     settle_s: float = SETTLE_S,
                     deadline_s: float = PROCESS_DEADLINE_S) -> IdempotencyResult:
    """Send one test event twice; wait until it is processed, then long enough to see a
    second processing; return what was seen."""
    event = stripe_signature.test_event(label)
    deliveries = tuple(deliver(url, event, secret, authorization=authorization,
                               tls_verify=tls_verify) for _ in range(2))
    if not all(d.acknowledged for d in deliveries):
        return IdempotencyResult(event.id, url, deliveries, processed_count(dsn, query, event.id))
    outcome = poll_until(lambda: processed_count(dsn, query, event.id), lambda n: n >= 1,
                         interval=POLL_S, deadline_s=deadline_s,
                         what=f"webhook event {event.id} processed")
    if outcome.succeeded and settle_s > 0:
        time.sleep(settle_s)
    return IdempotencyResult(event.id, url, deliveries, processed_count(dsn, query, event.id))
