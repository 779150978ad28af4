"""The sim app's Stripe webhook endpoint: verifies the signature and records each event in
the tier's database, once per event id (or, under the double-processing fault, once per
delivery, the classic missing-idempotency bug)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg

from harness.gate import stripe_signature

# The table comes from the sim's migrations (create_billing_events).


@dataclass
class WebhookReceiver:
    secret: str
    dsn: str
    double_process: bool = False

    def handle(self, body: bytes, signature: str | None) -> tuple[int, dict[str, object]]:
        """(HTTP status, JSON body) for one delivery."""
        try:
            stripe_signature.verify(body, signature or "", self.secret)
        except stripe_signature.SignatureInvalid as exc:
            return 400, {"error": exc.what}
        try:
            event = json.loads(body)
            event_id, kind = str(event["id"]), str(event["type"])
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "not a Stripe event"}
        with psycopg.connect(self.dsn, autocommit=False) as conn:
            if not self.double_process:
                # Serialise deliveries of one event, then skip an id already seen.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (event_id,))
                seen = conn.execute("SELECT 1 FROM billing_events WHERE stripe_event_id = %s",
                                    (event_id,)).fetchone()
                if seen:
                    return 200, {"received": True, "duplicate": True}
            conn.execute("INSERT INTO billing_events (stripe_event_id, type) VALUES (%s, %s)",
                         (event_id, kind))
        return 200, {"received": True}
