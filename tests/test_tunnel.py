"""The topology's db_tunnel command as the harness runs it: a tunnel that opens its port is
used and stopped; one that fails is reported with its exit code and its own output; and
neither leaves a file behind (the command's output goes to a file with no name)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness.io.db.tunnel import TunnelFailed, Tunnels

LISTEN = ("import socket, sys, time; s = socket.socket(); "
          "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); print('listening', flush=True); "
          "time.sleep(60)")


def leftovers() -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob("harness-tunnel-*"))


def test_a_tunnel_that_opens_its_port_is_used_and_stopped() -> None:
    before = leftovers()
    tunnels = Tunnels("staging", f'{sys.executable} -c "{LISTEN}" {{local_port}}')
    port = tunnels.local_port("db.example", 5432)
    assert tunnels.local_port("db.example", 5432) == port  # one tunnel per endpoint
    [tunnel] = tunnels._open.values()
    tunnels.close()
    assert tunnel.process.poll() is not None and leftovers() == before


def test_a_failing_tunnel_is_named_with_its_exit_code_and_output() -> None:
    before = leftovers()
    tunnels = Tunnels("staging", f"{sys.executable} -c \"print('no route to bastion'); "
                                 "raise SystemExit(3)\" {host} {port}")
    with pytest.raises(TunnelFailed) as failed:
        tunnels.local_port("db.example", 5432)
    text = failed.value.render()
    assert "ended with exit code 3" in text and "no route to bastion" in text, text
    assert "[tiers.staging] db_tunnel" in text
    assert leftovers() == before


def test_a_harness_killed_with_a_tunnel_open_leaves_no_file(tmp_path: Path) -> None:
    """SIGKILL runs no cleanup: the output file must have had no name to begin with."""
    code = ("import sys, time\n"
            "from harness.io.db.tunnel import Tunnels\n"
            f"t = Tunnels('staging', {sys.executable + ' -c ' + repr(LISTEN) + ' {local_port}'!r})\n"
            "print(t.local_port('db.example', 5432), flush=True)\n"
            "time.sleep(60)\n")
    env = {"TMPDIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=env, cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None and proc.stdout.readline().strip().isdigit()
    proc.kill()
    proc.wait(30)
    assert list(tmp_path.iterdir()) == []
