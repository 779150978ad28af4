"""Tunnels to a tier's databases, the way the runbook reaches RDS: the topology's ``db_tunnel``
command (e.g. an SSM port-forwarding session) started once per endpoint with ``{host}``,
``{port}`` and ``{local_port}`` filled in, waited for until its local port accepts
connections, and stopped when the run ends. The command runs without a shell."""

from __future__ import annotations

import ctypes
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from harness.errors import HarnessError

DEFAULT_PORT = 5432
OPEN_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


class TunnelFailed(HarnessError):
    """A tunnel command did not open its local port."""

    exit_code = 1


def command(template: str, host: str, port: int, local_port: int) -> list[str]:
    """The tunnel command for one endpoint: the three placeholders replaced (only those, so
    a JSON argument with braces needs no escaping), then split like a shell would."""
    text = (template.replace("{host}", host).replace("{port}", str(port))
            .replace("{local_port}", str(local_port)))
    return shlex.split(text)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Tunnel:
    host: str
    port: int
    local_port: int
    process: subprocess.Popen[bytes]
    # The command's output: a file with no name (nothing is left behind however the
    # harness ends, SIGKILL included).
    log: IO[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Tunnels:
    """The tunnels of one tier, one per endpoint, opened on first use."""

    def __init__(self, tier: str, template: str, *, open_timeout_s: float = OPEN_TIMEOUT_S) -> None:
        self.tier = tier
        self.template = template
        self.open_timeout_s = open_timeout_s
        self._open: dict[tuple[str, int], Tunnel] = {}

    def local_port(self, host: str, port: int | None) -> int:
        key = (host, port or DEFAULT_PORT)
        tunnel = self._open.get(key)
        if tunnel is None or tunnel.process.poll() is not None:
            tunnel = self._start(*key)
            self._open[key] = tunnel
        return tunnel.local_port

    def _start(self, host: str, port: int) -> Tunnel:
        local = free_port()
        argv = command(self.template, host, port, local)
        log = tempfile.TemporaryFile(prefix="harness-tunnel-")  # noqa: SIM115 (the tunnel owns it)
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=_DIE_WITH_PARENT)
        except OSError as exc:
            log.close()
            raise TunnelFailed(f"cannot start the db_tunnel command for {host}:{port}: {exc}",
                               where=f"[tiers.{self.tier}] db_tunnel",
                               fix="check the command (it runs without a shell) is installed") from exc
        tunnel = Tunnel(host, port, local, process, log)
        deadline = time.monotonic() + self.open_timeout_s
        while not _accepts(local):
            if process.poll() is not None or time.monotonic() > deadline:
                output = _tail(log)
                tunnel.stop()
                how = (f"ended with exit code {process.returncode}" if process.returncode is not None
                       else f"did not open port {local} within {self.open_timeout_s:g} s")
                raise TunnelFailed(f"the db_tunnel to {host}:{port} {how}; its output: "
                                   f"{output or '(none)'}", where=f"[tiers.{self.tier}] db_tunnel",
                                   fix="run the command by hand with these values to see why")
            time.sleep(0.05)
        return tunnel

    def close(self) -> None:
        while self._open:
            _, tunnel = self._open.popitem()
            tunnel.stop()


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: the tunnel gets SIGTERM when the harness dies, even by SIGKILL (no session left
    open behind a killed run). Resolved before any fork: the child only makes one call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1
_DIE_WITH_PARENT = _parent_death_signal()


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _tail(log: IO[bytes], limit: int = 400) -> str:
    try:
        log.seek(0)
        return log.read()[-limit:].decode("utf-8", "replace").strip()
    except OSError:
        return ""
