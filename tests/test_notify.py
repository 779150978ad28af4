"""`--notify`: the verdict posted to a real local HTTP server (plain JSON or Slack's shape),
and every way delivery can fail (dead URL, 500, redirect, slow server) reported as a message
that never shows the URL's secret path and never raises."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from local_http import serve
from report_support import fixture

from harness import notify, topology
from harness.errors import ConfigError
from harness.report.notice import SLACK_TEXT_MAX, slack_notice
from harness.report.outcome import outcome

SECRET_PATH = "/services/T000/B000/s3cr3tT0ken"


@dataclass
class Hook:
    """What the server answers, and every request it received."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    received: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)

    def json(self) -> Any:
        assert len(self.received) == 1, self.received
        return self.received[0][3]


@pytest.fixture
def hook() -> Iterator[tuple[str, Hook]]:
    state = Hook()

    def answer(request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        state.received.append((request.command, request.path,
                               {k.lower(): v for k, v in request.headers.items()},
                               json.loads(raw) if raw else None))
        if state.delay_s:
            threading.Event().wait(state.delay_s)
        request.send_response(state.status)
        for key, value in state.headers.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(state.body)))
        request.end_headers()
        try:
            request.wfile.write(state.body)
        except BrokenPipeError:
            return  # the client gave up (the timeout test)

    with serve(answer) as base:
        yield base, state


def test_a_pass_is_delivered_as_json_with_the_headline_figures(hook: tuple[str, Hook]) -> None:
    base, state = hook
    doc = fixture("sim-drill")
    result = notify.notify_run(doc, url=base + SECRET_PATH, report="reports/r1/report.html")
    assert result == notify.NotifyResult(True, f"notified {base} (HTTP 200)", 200)
    method, path, headers, body = state.received[0]
    assert (method, path, headers["content-type"]) == ("POST", SECRET_PATH, "application/json")
    assert body["verdict"] == "pass" and body["kind"] == "drill" and body["simulated"] is True
    assert body["outcome"] == outcome(doc) and body["report"] == "reports/r1/report.html"
    assert [(m["name"], m["seconds"], m["target_seconds"], m["met"]) for m in body["measurements"]] \
        == [("application RTO", 2.31, 900.0, True), ("data RTO", 6.84, 3600.0, True)]
    assert body["failed"] == []


def test_a_fail_is_delivered_with_each_failed_check_and_its_whole_reason(
        hook: tuple[str, Hook]) -> None:
    base, state = hook
    doc = fixture("sim-promote-rolled-back")
    result = notify.notify_run(doc, url=base + "/hook")
    assert result is not None and result.delivered
    body = state.json()
    assert body["verdict"] == "fail" and body["decision"]["verdict"] == "fail"
    assert body["outcome"].endswith("rolled back to invapp-dev-app:3, healthy after 1.07 s.")
    assert body["failed"] == [{"check": "swap and verify", "reason": doc["checks"][4]["error"]}]


def test_slack_shape_for_a_slack_webhook(hook: tuple[str, Hook]) -> None:
    assert notify.style_for("https://hooks.slack.com" + SECRET_PATH) == "slack"
    assert notify.style_for("https://hooks.slack.com.evil.test/x") == "json"
    base, state = hook
    doc = fixture("sim-promote-rolled-back")
    doc["checks"][4]["error"] = "<b>&</b> " + "x" * 4000
    result = notify.post(base + SECRET_PATH, notify.payload(doc, "slack"))
    assert result.delivered
    body = state.json()
    assert set(body) == {"text", "blocks"} and body["text"].startswith("PROMOTE FAIL")
    kinds = [b["type"] for b in body["blocks"]]
    assert kinds == ["section", "section", "section", "context"]
    assert "rolled back to invapp-dev-app:3" in body["blocks"][0]["text"]["text"]
    failed = body["blocks"][2]["text"]["text"]
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in failed and "<b>" not in failed
    assert len(failed) <= SLACK_TEXT_MAX and failed.endswith("the whole reason is in the report]")
    assert all(len(b["text"]["text"]) <= SLACK_TEXT_MAX for b in body["blocks"] if "text" in b)


def test_a_dead_url_is_a_message_not_an_exception() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    result = notify.notify_run(fixture("sim-drill"), url=f"http://127.0.0.1:{port}{SECRET_PATH}")
    assert result is not None and not result.delivered and result.status is None
    assert result.message.startswith(f"notification NOT delivered: http://127.0.0.1:{port} could "
                                     "not be reached")
    assert "s3cr3t" not in result.message


@pytest.mark.parametrize(("status", "body", "said"), [
    (500, b"internal error", "answered HTTP 500: internal error"),
    (404, b"no_service", "answered HTTP 404: no_service"),
    (302, b"", "answered HTTP 302"),
    (503, b"x" * 5000, "answered HTTP 503"),
])
def test_a_refusal_is_reported_with_the_status(hook: tuple[str, Hook], status: int, body: bytes,
                                               said: str) -> None:
    base, state = hook
    state.status, state.body = status, body
    state.headers = {"Location": base + "/elsewhere"} if status == 302 else {}
    result = notify.post(base + SECRET_PATH, {"verdict": "pass"})
    assert not result.delivered and result.status == status
    assert result.message == f"notification NOT delivered: {base} {said}"
    # The redirect was not followed (a POST turned into a GET is no delivery).
    assert [r[0] for r in state.received] == ["POST"]


def test_a_server_that_does_not_answer_in_time(hook: tuple[str, Hook]) -> None:
    base, state = hook
    state.delay_s = 2.0
    result = notify.post(base + SECRET_PATH, {"verdict": "pass"}, timeout_s=0.3)
    assert not result.delivered and "could not be reached" in result.message


def test_the_url_comes_from_the_flag_else_the_topology_variable(hook: tuple[str, Hook]) -> None:
    base, state = hook
    bundled = topology.load()
    assert notify.notify_run(fixture("gate"), topology=bundled, environ={}) is None
    text = topology.bundled_path().read_text(encoding="utf-8").replace(
        "# [notify]\n# url_env", "[notify]\nurl_env")
    configured = topology.parse(text, "t.toml")
    assert configured.notify.url_env == "HARNESS_NOTIFY_URL"
    assert "HARNESS_NOTIFY_URL" in configured.secret_env_names  # masked in every output
    unset = notify.notify_run(fixture("gate"), topology=configured, environ={})
    assert unset == notify.NotifyResult(
        False, "notification NOT sent: $HARNESS_NOTIFY_URL (the topology's [notify] url_env) "
               "is not set")
    sent = notify.notify_run(fixture("gate"), topology=configured,
                             environ={"HARNESS_NOTIFY_URL": base + "/from-env"})
    assert sent is not None and sent.delivered and state.received[-1][1] == "/from-env"
    flag = notify.notify_run(fixture("gate"), url=base + "/from-flag", topology=configured,
                             environ={"HARNESS_NOTIFY_URL": base + "/from-env"})
    assert flag is not None and flag.delivered and state.received[-1][1] == "/from-flag"
    bad = notify.notify_run(fixture("gate"), topology=configured,
                            environ={"HARNESS_NOTIFY_URL": "ftp://x/y"})
    assert bad is not None and not bad.delivered and "not an http(s) URL" in bad.message


def test_a_bad_flag_is_a_usage_error_and_the_key_is_validated() -> None:
    with pytest.raises(ConfigError, match="not an http"):
        notify.check_url("hooks.slack.com/services/x")
    notify.check_url("https://hooks.slack.com/services/x")
    text = topology.bundled_path().read_text(encoding="utf-8").replace(
        "# [notify]\n# url_env = \"HARNESS_NOTIFY_URL\"", "[notify]\nurl_env = \"https://x\"")
    with pytest.raises(ConfigError, match="must name an environment variable") as err:
        topology.parse(text, "t.toml")
    line = text.splitlines().index('url_env = "https://x"') + 1
    assert err.value.where == f"t.toml:{line}"


def test_slack_notice_without_measurements_or_failures() -> None:
    body = slack_notice(fixture("gate"))
    assert [b["type"] for b in body["blocks"]] == ["section", "context"]
    assert ":white_check_mark:" in body["blocks"][0]["text"]["text"]
