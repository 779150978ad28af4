"""Secrets on every channel: libpq passwords reach pg_dump through its environment, never its
argv; pytest's own output (-v) passes the redactor; short secrets are not masked by value
(that would hit ordinary words and, by what it hid, tell the secret) and the run says so;
rich markup and emoji codes never rewrite data."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from harness.cli.terminal import console
from harness.errors import HarnessError
from harness.io.db.conninfo import for_command_line
from harness.io.db.copy import copy_schema
from harness.io.db.dump import dump_schema
from harness.io.db.pg_dump import PgDump
from harness.io.db.providers import PostgresServer
from harness.redact import MASK, MIN_SECRET_LEN, RedactingStream, Redactor

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Pl4nted-DSN-pw-7c1e"


def fake_pg_dump(tmp_path: Path) -> Path:
    """A pg_dump that records the argv and PGPASSWORD it was given, and dumps nothing."""
    script = tmp_path / "pg_dump"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {tmp_path}/argv\n"
                      f"printf '%s' \"$PGPASSWORD\" > {tmp_path}/password\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_pg_dump_gets_the_password_by_environment_never_argv(tmp_path: Path) -> None:
    binary = PgDump(str(fake_pg_dump(tmp_path)), 16)
    dump_schema(f"postgresql://app:{SECRET}@127.0.0.1:5432/app", binary)
    argv = (tmp_path / "argv").read_text()
    assert SECRET not in argv and "postgresql://app@127.0.0.1:5432/app" in argv
    assert (tmp_path / "password").read_text() == SECRET
    with pytest.raises(HarnessError):  # the fake dump loads into no database
        copy_schema(f"host=127.0.0.1 port=1 user=app password={SECRET} dbname=a",
                    "host=127.0.0.1 port=1 dbname=b", binary)
    assert SECRET not in (tmp_path / "argv").read_text()


def test_a_dsn_without_password_keeps_the_callers_environment() -> None:
    dsn, env = for_command_line("host=/tmp dbname=x user=u")
    assert dsn == "host=/tmp dbname=x user=u"
    assert env.get("PGPASSWORD") == os.environ.get("PGPASSWORD")


@pytest.mark.parametrize(("dsn", "bare", "password"), [
    ("postgresql://app:p%40ss%2Fw@db.internal:5432/app?sslmode=require",
     "postgresql://app@db.internal:5432/app?sslmode=require", "p@ss/w"),
    ("postgres://app@h1:5432,h2:5433/app?password=q%26x&connect_timeout=5",
     "postgres://app@h1:5432,h2:5433/app?connect_timeout=5", "q&x"),
    # libpq's quoting: a value with spaces in single quotes, \' and \\ inside.
    ("host=db port=5432 password='it\\'s a \\\\secret' dbname=app",
     "host=db port=5432 dbname=app", "it's a \\secret"),
    ("host=db password=bare-pw user=app", "host=db user=app", "bare-pw"),
])
def test_the_password_leaves_both_dsn_forms(dsn: str, bare: str, password: str) -> None:
    stripped, env = for_command_line(dsn, env={})
    assert (stripped, env) == (bare, {"PGPASSWORD": password})


def test_pytest_output_passes_the_redactor_even_split_across_writes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_STAGING_BASIC_AUTH_PASSWORD", SECRET)
    sink = io.StringIO()
    stream = RedactingStream(sink)
    stream.write("E   AssertionError: login as ops with " + SECRET[:6])
    stream.flush()  # pytest flushes mid-line: the start of the secret is held back
    assert SECRET[:6] not in sink.getvalue()
    stream.write(SECRET[6:] + " failed\nE   dsn postgresql://app:pw-xyz-123@db/app\n")
    stream.write("....")
    stream.flush()
    stream.close_buffer()
    text = sink.getvalue()
    assert SECRET not in text and "pw-xyz-123" not in text and text.count(MASK) == 2
    assert text.endswith("....")


def test_a_short_secret_is_not_masked_by_value_and_is_reported() -> None:
    env = {"HARNESS_STAGING_BASIC_AUTH_PASSWORD": "staging", "HARNESS_PROD_TOKEN": "pass",
           "HARNESS_STAGING_DSN": "postgresql://app:longenough-pw@db/app"}
    redactor = Redactor.from_env(env=env)
    assert redactor.too_short == ("HARNESS_PROD_TOKEN", "HARNESS_STAGING_BASIC_AUTH_PASSWORD")
    # Masking "staging" would print "tier ***" and so tell the secret.
    assert redactor.text("tier staging: verdict pass") == "tier staging: verdict pass"
    assert redactor.text("password longenough-pw") == f"password {MASK}"
    assert len("longenough-pw") >= MIN_SECRET_LEN


def test_markup_and_emoji_codes_print_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    out = console()
    arn = "arn:aws:secretsmanager:us-east-1:760007728097:secret:invapp-dev/db-host"
    out.print(f"[bold]{arn}[/] fix: add it under [tiers.staging] :secret: :thumbs_up:")
    printed = capsys.readouterr().out
    assert f"[bold]{arn}[/] fix: add it under [tiers.staging] :secret: :thumbs_up:" in printed


# --- the planted-secret runs ------------------------------------------------------------------

BASIC_PASSWORD = "Bq7-basic-Pw-x41-planted"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz3xAmPLANTED"
TOKEN = "ghp_PlantedToken0123456789abcdef"
SHORT = "pass"


def pg_dump_on_path(tmp_path: Path, real: str) -> Path:
    """A pg_dump first on PATH that lives half a second (so `ps` sees it) and then runs the
    real one with the same arguments."""
    folder = tmp_path / "bin"
    folder.mkdir()
    shim = folder / "pg_dump"
    shim.write_text(f"#!/bin/sh\nsleep 0.5\nexec {real} \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return folder


class ProcessWatch:
    """Every command line on the machine, sampled until stopped."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for process in psutil.process_iter(["cmdline"]):
                cmdline = process.info.get("cmdline")
                if cmdline:
                    self.seen.add(" ".join(cmdline))
            time.sleep(0.02)

    def stop(self) -> set[str]:
        self._stop.set()
        self._thread.join()
        return self.seen


def folder_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.mark.slow
def test_a_verbose_failing_sim_drill_shows_no_secret_on_any_channel(
        postgres: PostgresServer, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARNESS_", "AWS_"))}
    env.update({
        # The sim's data plane on a server reached with a password (accepted by trust auth):
        # every pg_dump the drill runs is given that password.
        "HARNESS_SIM_POSTGRES_DSN": f"{postgres.dsn('postgres')} password={SECRET}",
        "HARNESS_STAGING_BASIC_AUTH_USER": "ops-user",
        "HARNESS_STAGING_BASIC_AUTH_PASSWORD": BASIC_PASSWORD,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET, "GITHUB_TOKEN": TOKEN,
        "HARNESS_PROD_DSN": f"postgresql://app:{SECRET}@127.0.0.1:1/app",
        "HARNESS_DRILL_TOKEN": SHORT,
        "PATH": f"{pg_dump_on_path(tmp_path, postgres.pg_dump().path)}:{os.environ['PATH']}",
    })
    watch = ProcessWatch()
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "drill", "-v", "--reports",
         str(tmp_path / "reports"), "--sim-rollout-latency", "0.2",
         "--sim-fault", "corrupt-restore"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    seen = watch.stop()
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # step 4 fails on the corrupted copy
    dumps = [c for c in seen if "pg_dump" in c and "--schema-only" in c]
    assert dumps, "no pg_dump was seen running"
    planted = (SECRET, BASIC_PASSWORD, AWS_SECRET, TOKEN)
    channels = {"console (-v)": output, "ps": "\n".join(seen),
                "run folder": folder_text(tmp_path / "reports")}
    leaks = [(where, s[:6]) for where, text in channels.items() for s in planted if s in text]
    assert leaks == []
    assert "FAILED" in done.stdout  # pytest's own report was shown (-v) and masked
    # A short secret is named as too short to mask, and never turns "pass" into "***".
    assert "HARNESS_DRILL_TOKEN hold(s) a value too short to be masked" in output
    assert '"verdict": "fail"' in (tmp_path / "reports" / "latest" / "evidence.json").read_text()


def test_a_failing_aws_backend_run_shows_no_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARNESS_", "AWS_"))}
    env.update({"AWS_ACCESS_KEY_ID": "AKIAPLANTED000000000", "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "GITHUB_TOKEN": TOKEN,
                "HARNESS_STAGING_DSN": f"postgresql://app:{SECRET}@127.0.0.1:1/app",
                "HARNESS_PROD_DSN": f"host=127.0.0.1 port=1 user=app password={SECRET}",
                "HARNESS_STAGING_BASIC_AUTH_USER": "ops-user",
                "HARNESS_STAGING_BASIC_AUTH_PASSWORD": BASIC_PASSWORD})
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "gate", "-v", "--backend", "aws",
         "--cycle", "NQU-865", "--sha", "a" * 40, "--reports", str(tmp_path / "reports")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 2 and "the preflight found" in output, output
    assert "$HARNESS_STAGING_DSN" in output and "tier 'prod'" in output
    assert [s[:6] for s in (SECRET, BASIC_PASSWORD, AWS_SECRET, TOKEN) if s in output] == []
