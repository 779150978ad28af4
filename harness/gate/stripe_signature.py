"""Stripe's webhook signature scheme, both sides: ``Stripe-Signature: t=<unix>,v1=<hex>``
where the hex is HMAC-SHA256(secret, "<t>.<raw body>"). Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from harness.errors import CheckFailed

HEADER = "Stripe-Signature"
TOLERANCE_S = 300
TEST_EVENT_TYPE = "customer.updated"


class SignatureInvalid(CheckFailed):
    """A Stripe-Signature header that does not verify."""


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_mac(payload, secret, t)}"


def verify(payload: bytes, header: str, secret: str, *, tolerance_s: int = TOLERANCE_S,
           now: int | None = None) -> int:
    """Return the signed timestamp, or raise SignatureInvalid saying what is wrong."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureInvalid("Stripe-Signature header has no timestamp or no v1 signature",
                               fix="send t=<unix seconds>,v1=<hex HMAC-SHA256>")
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise SignatureInvalid(f"Stripe-Signature timestamp is {abs(current - timestamp)} s "
                               f"away from now (tolerance {tolerance_s} s)",
                               fix="check the sender's clock")
    expected = _mac(payload, secret, timestamp)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureInvalid("no v1 signature matches the payload and the signing secret",
                               fix="check the webhook signing secret (whsec_...) on both sides")
    return timestamp


def _mac(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class TestEvent:
    """A test-mode Stripe event made by the gate: its id and its exact bytes."""

    __test__ = False  # not a pytest test class

    id: str
    payload: bytes


def test_event(label: str, *, created: int | None = None) -> TestEvent:
    """A unique, harmless test-mode event (livemode false) naming the harness run."""
    event_id = f"evt_harness_{secrets.token_hex(8)}"
    body = {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "type": TEST_EVENT_TYPE,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": {"id": "cus_harness_gate", "object": "customer",
                            "description": f"promotion gate idempotency check {label}"}},
    }
    return TestEvent(event_id, json.dumps(body, separators=(",", ":")).encode())
