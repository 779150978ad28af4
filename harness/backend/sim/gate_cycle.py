"""The cycle the sim stages for the promotion gate: staging runs the candidate SHA with the
cycle's migrations applied on top of prod's, the smoke suite ran for that SHA (in the sim's
GitHub API), prod has its pre-promotion snapshot, staging's app handles Stripe webhooks.
Each gate fault breaks exactly one of those, so each checklist item can be seen failing."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from harness import naming
from harness.backend.sim.app import DatabaseStatus
from harness.backend.sim.github import SimGitHub
from harness.backend.sim.webhook import WebhookReceiver
from harness.clock import utcnow
from harness.migrations.discovery import MigrationPattern, discover
from harness.migrations.runner import applied_versions, apply_up
from harness.world import World

if TYPE_CHECKING:
    from harness.backend.sim.backend import SimBackend

CYCLE = "sim-cycle-1"
REPO = "je-vectors/app-sim"
WORKFLOW = "smoke-suite.yml"
TOKEN_ENV = "HARNESS_SIM_GITHUB_TOKEN"
# The newest migration prod has; everything after it is this cycle's.
PROD_HEAD = "20260301000000"
CHANGED_FILES = ("src/billing/stripe_webhook.ts", "src/documents/status.ts",
                 "src/organisations/display_name.ts",
                 "migrations/20260529003733_remove_ai_provider_setting.sql",
                 "migrations/20260601090000_add_document_status.sql",
                 "migrations/20260602120000_rename_organisation_name.sql")
_BAD_DOWN = ("20260601090000_add_document_status.down.sql",
             "-- Forgets to drop the column: it only relaxes it.\n"
             "ALTER TABLE documents ALTER COLUMN status SET DEFAULT 'draft';\n")
_MISSING_DOWN = "20260529003733_remove_ai_provider_setting.down.sql"


@dataclass(frozen=True)
class SimCycle:
    cycle: str
    sha: str
    prod_sha: str
    migrations_dir: Path
    changed_files: tuple[str, ...]


class FailingDatabase:
    """A database probe for staging's app that always fails (gate-staging-unhealthy)."""

    def check(self, host: str | None) -> DatabaseStatus:
        return DatabaseStatus(False, "connection refused (sim fault gate-staging-unhealthy)")


def migrations_dir(faults: frozenset[str], into: Path) -> Path:
    """The sim's migrations, copied, with the migration faults applied to the copy."""
    source = Path(str(resources.files("harness").joinpath("backend/sim/gate_migrations")))
    target = into / "migrations"
    shutil.copytree(source, target)
    if "gate-down-not-restoring" in faults:
        (target / _BAD_DOWN[0]).write_text(_BAD_DOWN[1], encoding="utf-8")
    if "gate-pending-no-down" in faults:
        (target / _MISSING_DOWN).unlink()
    return target


class GateStage:
    """Session-long parts of the staged cycle: the GitHub API stand-in and the migrations."""

    def __init__(self, faults: frozenset[str]) -> None:
        self.faults = faults
        self._tmp = Path(tempfile.mkdtemp(prefix="harness-gate-sim-"))
        self.migrations = migrations_dir(faults, self._tmp)
        self.github = SimGitHub(token=f"ghs_sim_{secrets.token_hex(12)}")
        self.github.start()

    def close(self) -> None:
        self.github.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def prepare(self, sim: SimBackend, world: World, cycle: str | None = None) -> SimCycle:
        """Stage ``cycle`` (default: the sim's own) on a freshly reset sim world."""
        cycle = cycle or CYCLE
        staging, prod = world.tier("staging"), world.topology.prod
        assert prod is not None and prod.db_instance
        sha, prod_sha = sim.seeded["staging"].image_shas[-1], sim.seeded[prod.name].image_shas[-1]
        self._smoke_source(world, staging.name)
        self.github.clear()
        self.github.record(REPO, WORKFLOW, sha,
                           "failure" if "gate-smoke-red" in self.faults else "success")
        self._apply_migrations(world, prod.name, staging.name)
        staging_dsn = world.databases.source_dsn(staging)
        secret_env = staging.webhook_secret_env or "HARNESS_STAGING_STRIPE_WEBHOOK_SECRET"
        os.environ.setdefault(secret_env, f"whsec_sim_{secrets.token_hex(16)}")
        sim.apps[staging.name].webhook = WebhookReceiver(
            os.environ[secret_env], staging_dsn,
            double_process="gate-webhook-double" in self.faults)
        if "gate-staging-unhealthy" in self.faults:
            sim.attach_database(staging.name, FailingDatabase())
        if "gate-no-snapshot" not in self.faults:
            self._snapshot(world, prod.name, prod.db_instance, cycle)
        return SimCycle(cycle, sha, prod_sha, self.migrations, CHANGED_FILES)

    def _smoke_source(self, world: World, staging: str) -> None:
        """The sim reads smoke results from its GitHub stand-in, as the runbook's team reads
        the smoke-suite workflow."""
        os.environ[TOKEN_ENV] = self.github.token
        topology = world.topology
        tier = replace(topology.tier(staging), smoke_source="github", smoke_github_repo=REPO,
                       smoke_github_workflow=WORKFLOW, smoke_github_token_env=TOKEN_ENV)
        world.topology = replace(topology, tiers={**topology.tiers, staging: tier},
                                 gate=replace(topology.gate, github_api_url=self.github.url))

    def _apply_migrations(self, world: World, prod: str, staging: str) -> None:
        found = discover(self.migrations, MigrationPattern())
        for tier, upto in ((prod, PROD_HEAD), (staging, None)):
            dsn = world.databases.source_dsn(world.tier(tier))
            done = set(applied_versions(dsn))
            for migration in found.migrations:
                if migration.version in done or (upto is not None and migration.version > upto):
                    continue
                apply_up(dsn, migration)

    def _snapshot(self, world: World, prod: str, instance: str, cycle: str) -> None:
        name = naming.snapshot_identifier(world.topology.snapshot_template, cycle, utcnow())
        rds = world.client(prod, "rds")
        rds.create_db_snapshot(DBInstanceIdentifier=instance, DBSnapshotIdentifier=name,
                               Tags=naming.rds_tags({naming.TAG_CYCLE: cycle}))
        if "gate-snapshot-creating" in self.faults:
            from moto.rds.models import rds_backends

            account = world.caller_account(prod)
            rds_backends[account][world.topology.region].database_snapshots[name].status = (
                "creating")
