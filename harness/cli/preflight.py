"""One preflight before any work: everything that would stop a command part-way, found at
once and listed together (exit 2), so nothing is half done for want of a setting.

Checked: the reports folder can be written; GitHub's output files can be appended to; on
real accounts, for every tier the command reads or writes, credentials exist and act in that
tier's own account (both accounts named when they differ), and every endpoint and database
DSN the run needs answers; in the sim, the external PostgreSQL it was given answers, or the
folder its embedded server would go in (``HARNESS_PG_SCRATCH``) can be written.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from harness.cli import github
from harness.errors import ConfigError, HarnessError
from harness.redact import Redactor, mask_dsn
from harness.runconfig import SIM_POSTGRES_DSN_ENV, RunConfig
from harness.topology import Tier

if TYPE_CHECKING:  # boto3 loads only when a command reaches real accounts
    from harness.world import World

_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Needs:
    """What one command reaches: the tiers whose accounts it reads or writes, whose
    databases and health endpoints it uses, and where it writes its run folder."""

    tiers: tuple[str, ...]
    databases: tuple[str, ...] = ()
    health: tuple[str, ...] = ()
    reports: Path | None = None
    github_smoke: tuple[str, ...] = ()


def needs(run: RunConfig, command: str, *, source_tier: str = "staging",
          plan: bool = False) -> Needs:
    """The preflight's scope per command: drill = its tier; gate and promote = production and
    the tier that validated the build; rollback, rollback data and cleanup = the tier. A ``--plan`` only reads
    the accounts: it needs their credentials, not the endpoints or a reports folder."""
    if plan:
        return replace(needs(run, command, source_tier=source_tier), databases=(), health=(),
                       reports=None)
    prod = run.topology.prod.name if run.topology.prod else None
    if command == "drill":
        return Needs((run.tier,), databases=(run.tier,), health=(run.tier,),
                     reports=run.reports_dir)
    if command == "gate":
        tiers = tuple(dict.fromkeys(t for t in (prod, "staging") if t))
        staging = run.topology.tier("staging")
        return Needs(tiers, databases=tiers, health=("staging",), reports=run.reports_dir,
                     github_smoke=("staging",) if staging.smoke_kind == "github" else ())
    if command == "promote":
        tiers = tuple(dict.fromkeys((run.tier, source_tier)))
        return Needs(tiers, health=(run.tier,), reports=run.reports_dir)
    if command in ("rollback", "rollback data"):
        # Both write a run folder; Layer 2 also reads and writes the tier's database.
        return Needs((run.tier,), databases=(run.tier,) if command == "rollback data" else (),
                     health=(run.tier,), reports=run.reports_dir)
    return Needs((run.tier,))


def check(run: RunConfig, scope: Needs, world: World | None = None) -> None:
    """Raise one ConfigError listing every problem found (nothing when all is well)."""
    problems = reports_problems(scope.reports) if scope.reports else []
    problems += github.problems()
    if run.backend == "aws":
        own = world is None
        world = world or _aws_world(run)
        try:
            accounts = {t: account_problem(world, t) for t in scope.tiers}
            problems += [p for p in accounts.values() if p]
            # A tunnelled DSN is reached only through the tunnel, which reads the instance's
            # endpoint from RDS: that read waits until the tier's account is known to match.
            problems += [p for t in scope.databases
                         if not (accounts.get(t) and run.topology.tier(t).db_tunnel)
                         for p in dsn_problems(run.topology.tier(t), world)]
        finally:
            if own:
                world.backend.close()
        problems += [p for t in scope.health for p in endpoint_problems(run.topology.tier(t))]
        problems += [p for t in scope.github_smoke
                     for p in github_smoke_problems(run, run.topology.tier(t))]
    elif run.sim.postgres_dsn:
        problem = _connect_problem(run.sim.postgres_dsn)
        if problem:
            problems.append(f"${SIM_POSTGRES_DSN_ENV}: {problem}")
    else:
        problems += _scratch_problems()
    if problems:
        redactor = Redactor.from_env(run.topology.secret_env_names)
        raise ConfigError(
            f"the preflight found {len(problems)} problem(s); nothing was done:\n"
            + "\n".join(f"    - {redactor.text(p)}" for p in problems),
            fix="fix each one, then run the command again")


def check_world(world: World, tiers: tuple[str, ...]) -> None:
    """The account part alone, for a command without a RunConfig (``harness cleanup``)."""
    problems = account_problems(world, tiers)
    if problems:
        raise ConfigError(f"the preflight found {len(problems)} problem(s); nothing was done:\n"
                          + "\n".join(f"    - {p}" for p in problems),
                          fix="fix each one, then run the command again")


def reports_problems(reports: Path) -> list[str]:
    """The reports folder exists as a folder (or can be made) and a file can be written in it.
    Folders made for the test are removed again: a run refused after the preflight (the tier
    guard, a lock) leaves nothing behind; the run's writer makes them when it writes."""
    if reports.exists() and not reports.is_dir():
        return [f"--reports {reports} is a file, not a folder: pass a folder"]
    made = [p for p in (reports, *reports.parents) if not p.exists()]  # deepest first
    try:
        reports.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=reports, prefix=".preflight-"):
            pass
    except OSError as exc:
        return [f"--reports {reports} cannot be written ({exc.strerror}): pass a writable folder"]
    finally:
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
    return []


def account_problems(world: World, tiers: tuple[str, ...]) -> list[str]:
    """Each tier's credentials exist and act in the tier's own account."""
    return [p for p in (account_problem(world, name) for name in tiers) if p]


def account_problem(world: World, name: str) -> str | None:
    tier = world.tier(name)
    how = f"profile {tier.aws_profile or '(default)'}, role {tier.role_arn or '-'}"
    try:
        if world.session(name).get_credentials() is None:
            return (f"tier '{name}': no AWS credentials ({how}): log in (aws sso login, or "
                    f"export AWS_PROFILE / keys) for account {tier.account_id}")
        account = world.caller_account(name)
    except HarnessError as exc:
        return f"tier '{name}': {exc.what} ({how})"
    except Exception as exc:  # botocore raises many kinds for a broken profile
        return (f"tier '{name}': cannot use its AWS credentials ({how}): "
                f"{type(exc).__name__}: {exc}")
    if account != tier.account_id:
        return (f"tier '{name}' lives in account {tier.account_id} but its credentials act in "
                f"account {account} ({how}): use credentials for {tier.account_id}")
    return None


def dsn_problems(tier: Tier, world: World | None = None) -> list[str]:
    """The tier's database answers on its DSN; through its ``db_tunnel`` when it has one
    (opened by ``world`` the way the run will open it)."""
    if not tier.db_instance:
        return []
    if not tier.dsn_env:
        return [f"tier '{tier.name}' has a database but no dsn_env: set dsn_env under "
                f"[tiers.{tier.name}]"]
    dsn = os.environ.get(tier.dsn_env)
    if not dsn:
        return [f"${tier.dsn_env} (tier '{tier.name}' database) is not set: export it (e.g. "
                "through the SSM tunnel)"]
    if tier.db_tunnel and world is not None:
        try:
            dsn = world.databases.source_dsn(tier)
        except HarnessError as exc:
            return [f"${tier.dsn_env} (tier '{tier.name}' database, through its db_tunnel): "
                    f"{exc.what}"]
    problem = _connect_problem(dsn)
    return [f"${tier.dsn_env} (tier '{tier.name}' database): {problem}"] if problem else []


def endpoint_problems(tier: Tier) -> list[str]:
    problem = _tcp_problem(tier.health_url)
    found = [f"tier '{tier.name}' health endpoint {tier.health_url}: {problem}"] if problem else []
    if tier.basic_auth_user_env and tier.basic_auth_password_env:
        found += _unset(tier, (tier.basic_auth_user_env, tier.basic_auth_password_env),
                        "basic-auth credentials")
    return found


def github_smoke_problems(run: RunConfig, tier: Tier) -> list[str]:
    found = _unset(tier, (tier.smoke_github_token_env,), "GitHub token (smoke source)")
    problem = _tcp_problem(run.topology.gate.github_api_url)
    if problem:
        found.append(f"GitHub API {run.topology.gate.github_api_url}: {problem}")
    return found


def _unset(tier: Tier, names: tuple[str, ...], what: str) -> list[str]:
    return [f"${name} (tier '{tier.name}' {what}) is not set: export it" for name in names
            if not os.environ.get(name)]


def _scratch_problems() -> list[str]:
    """The folder the sim's embedded server would be put in can be used."""
    from harness.io.db import scratch

    try:
        scratch.root()
    except ConfigError as exc:
        return [f"${exc.where}: {exc.what}: {exc.fix}"]
    return []


def _connect_problem(dsn: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(dsn, connect_timeout=int(_TIMEOUT_S)) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"cannot connect ({mask_dsn(text)}): check host, port, user and password"
    return None


def _tcp_problem(url: str, connect: Callable[..., socket.socket] = socket.create_connection
                 ) -> str | None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        connect((host, port), timeout=_TIMEOUT_S).close()
    except OSError as exc:
        return f"not reachable on {host}:{port} ({exc.strerror or type(exc).__name__})"
    return None


def _aws_world(run: RunConfig) -> World:
    from harness.backend.aws import AwsBackend
    from harness.world import World

    return World(AwsBackend(run.topology), allow_prod_write=run.allow_prod_write)
