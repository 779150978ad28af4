"""Stripe webhook idempotency against a real local HTTP endpoint (the sim's receiver) and a
real PostgreSQL: exactly once passes; twice, never, or an unacknowledged delivery fails."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest

from harness.backend.sim.webhook import WebhookReceiver
from harness.errors import CheckFailed
from harness.gate import stripe_signature, webhook

SECRET = "whsec_test_gate_0123456789"
QUERY = "SELECT count(*) FROM billing_events WHERE stripe_event_id = %(event_id)s"
DDL = (Path(__file__).resolve().parents[1] / "harness/backend/sim/gate_migrations"
       / "20260301000000_create_billing_events.sql").read_text(encoding="utf-8")


@pytest.fixture
def billing_db(scratch_db: Callable[[], str]) -> str:
    dsn = scratch_db()
    with psycopg.connect(dsn) as conn:
        conn.execute(DDL.encode())
    return dsn


@pytest.fixture
def endpoint(billing_db: str) -> Iterator[tuple[str, WebhookReceiver]]:
    receiver = WebhookReceiver(SECRET, billing_db)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, answer = receiver.handle(body, self.headers.get(stripe_signature.HEADER))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/webhooks/stripe", receiver
    finally:
        server.shutdown()
        server.server_close()


def run(url: str, dsn: str, secret: str = SECRET) -> webhook.IdempotencyResult:
    return webhook.check_idempotent(url, secret, dsn, QUERY, label="test", settle_s=0.05)


def test_idempotent_handler_processes_the_event_once(endpoint: tuple[str, WebhookReceiver],
                                                     billing_db: str) -> None:
    url, _ = endpoint
    result = run(url, billing_db)
    assert result.ok, result.reason
    assert [d.status for d in result.deliveries] == [200, 200] and result.processed == 1
    assert "processed exactly once" in result.reason


def test_double_processing_is_caught(endpoint: tuple[str, WebhookReceiver], billing_db: str) -> None:
    url, receiver = endpoint
    receiver.double_process = True
    result = run(url, billing_db)
    assert not result.ok and result.processed == 2
    assert "processed 2 times: the handler is not idempotent" in result.reason


def test_wrong_secret_is_not_acknowledged(endpoint: tuple[str, WebhookReceiver],
                                          billing_db: str) -> None:
    url, _ = endpoint
    result = run(url, billing_db, secret="whsec_wrong_secret_000")
    assert not result.ok and [d.status for d in result.deliveries] == [400, 400]
    assert "not acknowledged" in result.reason and result.processed == 0
    assert "whsec_wrong" not in result.reason


def test_unreachable_endpoint(billing_db: str) -> None:
    with pytest.raises(CheckFailed, match="webhook endpoint unreachable"):
        run("http://127.0.0.1:9/api/webhooks/stripe", billing_db)


def test_bad_count_query(billing_db: str) -> None:
    with pytest.raises(CheckFailed, match="processed-count query failed"):
        webhook.processed_count(billing_db, "SELECT count(*) FROM nope WHERE x = %(event_id)s", "e")
