"""Stripe's signature scheme: the header we send verifies, and every tampering is refused."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from harness.gate import stripe_signature as ss

SECRET = "whsec_test_0123456789abcdef"


def test_signature_matches_an_independent_hmac_implementation() -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    payload = b'{"id":"evt_1","object":"event"}'
    out = subprocess.run([openssl, "dgst", "-sha256", "-hmac", SECRET],
                         input=b"1779530400." + payload, capture_output=True, check=True)
    expected = out.stdout.decode().split("= ")[-1].strip()
    assert ss.sign(payload, SECRET, 1779530400) == f"t=1779530400,v1={expected}"


def test_round_trip_and_tampering() -> None:
    event = ss.test_event("cycle NQU-865")
    header = ss.sign(event.payload, SECRET)
    assert ss.verify(event.payload, header, SECRET) > 0
    with pytest.raises(ss.SignatureInvalid, match="no v1 signature matches"):
        ss.verify(event.payload + b" ", header, SECRET)
    with pytest.raises(ss.SignatureInvalid, match="no v1 signature matches"):
        ss.verify(event.payload, header, "whsec_other_secret")
    with pytest.raises(ss.SignatureInvalid, match="no timestamp or no v1"):
        ss.verify(event.payload, "v0=abc", SECRET)


def test_old_timestamps_are_refused() -> None:
    header = ss.sign(b"{}", SECRET, 1_000_000)
    with pytest.raises(ss.SignatureInvalid, match="tolerance 300 s"):
        ss.verify(b"{}", header, SECRET, now=1_000_000 + 301)
    assert ss.verify(b"{}", header, SECRET, now=1_000_000 + 299) == 1_000_000


def test_any_matching_v1_among_several_is_accepted() -> None:
    good = ss.sign(b"{}", SECRET, 1_000_000)
    assert ss.verify(b"{}", f"t=1000000,v1=deadbeef,{good.split(',')[1]}", SECRET, now=1_000_000)


def test_test_event_is_unique_and_test_mode() -> None:
    a, b = ss.test_event("x"), ss.test_event("x")
    assert a.id != b.id and a.id.startswith("evt_harness_")
    body = json.loads(a.payload)
    assert body["id"] == a.id and body["livemode"] is False and body["object"] == "event"
