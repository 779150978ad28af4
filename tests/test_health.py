"""Health checks against real local HTTP(S) servers: each failure has its own kind and text."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import topology
from harness.errors import ConfigError
from harness.io.http.health import HealthClient

Reply = tuple[int, bytes]
STAGING = topology.load().tier("staging")


def serve(reply: Callable[[BaseHTTPRequestHandler], Reply],
          context: ssl.SSLContext | None = None) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = reply(self)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    scheme = "https" if context else "http"
    yield f"{scheme}://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(url: str, *, auth: bool = False, tls_verify: bool = True, timeout: float = 1.0,
           env: dict[str, str] | None = None) -> HealthClient:
    tier = replace(STAGING, health_url=url, tls_verify=tls_verify)
    if not auth:
        tier = replace(tier, basic_auth_user_env=None, basic_auth_password_env=None)
    return HealthClient(tier, timeout_s=timeout, env=env or {})


def json_reply(status: int, body: object) -> Callable[[BaseHTTPRequestHandler], Reply]:
    return lambda _: (status, json.dumps(body).encode())


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from serve(request.param)


@pytest.mark.parametrize("server", [json_reply(200, {"status": "ok"})], indirect=True)
def test_healthy(server: str) -> None:
    probe = client(server).deep_health()
    assert probe.ok and probe.status_code == 200 and probe.describe() == "ok"


@pytest.mark.parametrize("server", [json_reply(503, {"status": "degraded", "checks": {"database": "down"}})],
                         indirect=True)
def test_unhealthy_names_the_failing_check(server: str) -> None:
    probe = client(server).deep_health()
    assert probe.failure == "unhealthy" and "database: down" in probe.detail and "503" in probe.detail


@pytest.mark.parametrize("server", [lambda _: (200, b"<html>login</html>")], indirect=True)
def test_non_json(server: str) -> None:
    probe = client(server).deep_health()
    assert probe.failure == "not-json" and "<html>" in probe.detail


@pytest.mark.parametrize("server", [json_reply(500, {"error": "boom"})], indirect=True)
def test_wrong_status(server: str) -> None:
    probe = client(server).deep_health()
    assert probe.failure == "wrong-status" and "HTTP 500" in probe.detail


def _needs_auth(handler: BaseHTTPRequestHandler) -> Reply:
    if handler.headers.get("Authorization") == "Basic dTpyaWdodA==":  # u:right
        return 200, b'{"status": "ok"}'
    return 401, b'{"error": "auth"}'


@pytest.mark.parametrize("server", [_needs_auth], indirect=True)
def test_rejected_credentials_are_not_called_unhealthy(server: str) -> None:
    names = {"HARNESS_STAGING_BASIC_AUTH_USER": "u"}
    wrong = client(server, auth=True, env=names | {"HARNESS_STAGING_BASIC_AUTH_PASSWORD": "wrong"})
    probe = wrong.deep_health()
    assert probe.failure == "credentials-rejected" and "credentials were rejected" in probe.detail
    assert "wrong" not in probe.detail
    right = client(server, auth=True, env=names | {"HARNESS_STAGING_BASIC_AUTH_PASSWORD": "right"})
    assert right.deep_health().ok


def test_missing_credentials_name_the_variables() -> None:
    with pytest.raises(ConfigError, match="HARNESS_STAGING_BASIC_AUTH_PASSWORD"):
        client("http://127.0.0.1:9", auth=True)


def test_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    probe = client(f"http://127.0.0.1:{port}").deep_health()
    assert probe.failure == "unreachable" and "cannot reach" in probe.detail


def _slow(_: BaseHTTPRequestHandler) -> Reply:
    time.sleep(1.0)
    return 200, b'{"status": "ok"}'


@pytest.mark.parametrize("server", [_slow], indirect=True)
def test_timeout_is_bounded(server: str) -> None:
    t0 = time.monotonic()
    probe = client(server, timeout=0.2).deep_health()
    assert probe.failure == "timeout" and "0.2 s" in probe.detail
    assert time.monotonic() - t0 < 0.9


@pytest.mark.parametrize("server", [json_reply(200, {"status": "ok", "sha": None})], indirect=True)
def test_version_without_a_sha(server: str) -> None:
    assert client(server).version().failure == "no-version"


def _self_signed(tmp: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "c.pem", tmp / "k.pem")
    return context


def test_tls_verification_follows_the_tier(tmp_path: Path) -> None:
    for url in serve(json_reply(200, {"status": "ok"}), _self_signed(tmp_path)):
        verified = client(url, tls_verify=True).deep_health()
        assert verified.failure == "unreachable" and "CERTIFICATE_VERIFY_FAILED" in verified.detail
        assert client(url, tls_verify=False).deep_health().ok
