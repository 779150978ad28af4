"""Post a run's verdict to where the team looks (``--notify URL``, else the topology's
``[notify] url_env``): plain JSON, or a Slack message when the URL is a Slack incoming
webhook. A notification that fails is reported as a message: it never raises and never
changes the run's verdict or exit code.

The URL carries a token (Slack's path is the secret), so no message ever shows more of it
than the scheme, host and port.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from harness import __version__
from harness.errors import ConfigError
from harness.report.notice import notice, slack_notice
from harness.topology import Topology

Style = Literal["json", "slack"]
SLACK_HOST = "hooks.slack.com"
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class NotifyResult:
    """What happened to one notification: ``message`` is fit to print (no secret in it)."""

    delivered: bool
    message: str
    status: int | None = None


def where(url: str) -> str:
    """The part of ``url`` that may be shown: scheme, host and port (never the path)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def style_for(url: str) -> Style:
    return "slack" if urlsplit(url).hostname == SLACK_HOST else "json"


def check_url(url: str, source: str = "--notify") -> None:
    """For the CLI's preflight: a URL that cannot be posted to is a usage error (exit 2)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{source} is not an http(s) URL", where=source,
                          fix="pass the webhook URL, e.g. https://hooks.slack.com/services/...")


def resolve_url(url: str | None, topology: Topology | None,
                environ: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """(URL, where it came from): the explicit ``--notify`` URL, else the variable the
    topology names. (None, reason) when no notification is configured or the variable is
    empty."""
    if url:
        return url, "--notify"
    name = topology.notify.url_env if topology is not None else None
    if not name:
        return None, "no --notify and no [notify] url_env in the topology"
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return (value or None), f"${name} (the topology's [notify] url_env)"


def payload(doc: Mapping[str, Any], style: Style, report: str | None = None) -> dict[str, Any]:
    return slack_notice(doc, report) if style == "slack" else notice(doc, report)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Following a redirect would turn the POST into a GET: a 2xx to that is no delivery.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post(url: str, body: Mapping[str, Any], *, timeout_s: float = TIMEOUT_S) -> NotifyResult:
    """POST ``body`` as JSON; delivered only on a 2xx answer. Never raises for the network."""
    shown = where(url)
    request = urllib.request.Request(
        url, data=json.dumps(body).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json",
                 "User-Agent": f"promotion-harness/{__version__}"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout_s) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        answer = exc.read(201).decode("utf-8", "replace").strip()
        said = f": {' '.join(answer.split())}" if answer and len(answer) <= 200 else ""
        return NotifyResult(False, f"notification NOT delivered: {shown} answered HTTP "
                                   f"{exc.code}{said}", exc.code)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return NotifyResult(False, f"notification NOT delivered: {shown} could not be reached "
                                   f"({type(exc).__name__}: {reason})")
    # urllib raises HTTPError for every answer outside 2xx (redirects included, see above).
    return NotifyResult(True, f"notified {shown} (HTTP {status})", status)


def notify_run(doc: Mapping[str, Any], *, url: str | None = None,
               topology: Topology | None = None, report: str | None = None,
               environ: Mapping[str, str] | None = None,
               timeout_s: float = TIMEOUT_S) -> NotifyResult | None:
    """Post the verdict of the (redacted) evidence document ``doc``. None when nothing is
    configured; otherwise the result, delivered or not, for the caller to print. The run's
    verdict and exit code are the caller's and stay as they are."""
    target, source = resolve_url(url, topology, environ)
    if target is None:
        if topology is not None and topology.notify.url_env and not url:
            return NotifyResult(False, f"notification NOT sent: {source} is not set")
        return None
    try:
        check_url(target, source)
    except ConfigError:
        return NotifyResult(False, f"notification NOT sent: {source} is not an http(s) URL")
    return post(target, payload(doc, style_for(target), report), timeout_s=timeout_s)
