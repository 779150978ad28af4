"""Layer 2 as an operation (`harness rollback data`): one migration taken back on a tier in
the runbook's order, each phase a timed check.

1. The application already runs a revision that works with the schema as it is (Layer 1
   comes first): it must be healthy now.
2. The migration's down is tried first and its ``_migrations`` row cleared; then the
   application must be healthy on the schema the down left.
3. Only when the down fails, there is none, or the data is already corrupt: the
   pre-promotion snapshot is restored to a NEW instance, the copy verified (readable, and
   older than the migration: its ``_migrations`` does not list it), then the application
   repointed at it and healthy.

``make_plan`` only reads; ``run`` carries the plan out. The data RTO runs from the first
write (the down, else the restore call) until the application is healthy on the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from harness import guard, naming
from harness.clock import Measurement, Stopwatch, poll_until, utcnow
from harness.drill.data_restore import repoint_app
from harness.errors import CheckFailed, ConfigError
from harness.io.aws import rds
from harness.io.aws.ecs import Revision
from harness.io.http.health import HealthClient, short
from harness.migrations.discovery import Migration, MigrationPattern, discover
from harness.migrations.runner import BOOKKEEPING_TABLE, applied_at, applied_versions
from harness.rollback import restore
from harness.rollback.datacheck import Fingerprint
from harness.rollback.layer2 import DataPath, DataPathChoice, DownOutcome, decide, run_down
from harness.rollback.phases import PhaseLog
from harness.rollback.recovery import PRECONDITION_WAIT_S, RecoverySettings, service
from harness.rto import DATA_RTO
from harness.world import World

APP_FIRST = "application runs a compatible revision"
APP_AFTER_DOWN = "application healthy after the down"
TAG_MIGRATION = "harness:rolls-back-migration"


@dataclass(frozen=True)
class DataRequest:
    tier: str
    version: str
    reason: str
    migrations_dir: Path
    snapshot_id: str | None = None
    data_corrupt: bool = False
    cycle: str | None = None


@dataclass(frozen=True)
class DataPlan:
    request: DataRequest
    migration: Migration
    applied_at: datetime
    app: Revision
    choice: DataPathChoice
    snapshot: rds.Snapshot | None
    snapshot_note: str  # how the snapshot was chosen, or why there is none
    restore_instance: str

    def lines(self) -> list[str]:
        r, m = self.request, self.migration
        out = [f"data rollback on tier {r.tier}: migration {m.name} (applied "
               f"{_utc(self.applied_at)})",
               f"reason: {r.reason}",
               f"1. the application must be healthy now on {self.app.label} (image "
               f"{short(self.app.sha)}): Layer 1 comes first",
               f"2. decision: {self.choice.path} ({self.choice.why})"]
        if self.choice.path == "down":
            down = m.down.path if m.down else "-"
            out += [f"   run {down} and delete {m.version} from {BOOKKEEPING_TABLE}, then "
                    "wait for the application to be healthy",
                    "   only if the down fails: restore the snapshot below"]
        if self.snapshot is not None:
            out += [f"3. restore snapshot {self.snapshot.id} ({self.snapshot_note}) to the NEW "
                    f"instance {self.restore_instance}; verify the copy (readable, its "
                    f"{BOOKKEEPING_TABLE} without {m.version}); point the DB-host secret at it, "
                    "force a new deployment, wait for deep health"]
        else:
            out.append(f"3. no snapshot to restore: {self.snapshot_note}")
        out.append("nothing was changed (plan only)")
        return out


def _utc(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _migration(req: DataRequest, pattern: MigrationPattern) -> Migration:
    found = discover(req.migrations_dir, pattern)
    migration = next((m for m in found.migrations if m.version == req.version), None)
    if migration is None:
        known = ", ".join(m.version for m in found.migrations[-5:]) or "none"
        raise ConfigError(f"no migration {req.version} in {req.migrations_dir} (newest there: "
                          f"{known})", fix="pass the VERSION of the migration to take back, and "
                                           "--migrations DIR holding its files")
    ours = {migration.forward.path} | ({migration.down.path} if migration.down else set())
    problems = [p.render() for p in found.problems if p.path in ours]
    if problems:
        raise ConfigError(f"migration {migration.name} cannot be used as it is:\n"
                          + "\n".join(problems), where=str(req.migrations_dir),
                          fix="fix its files (harness migrations lint shows them)")
    return migration


def _choose_snapshot(world: World, req: DataRequest, applied: datetime
                     ) -> tuple[rds.Snapshot | None, str]:
    tier = world.tier(req.tier)
    if req.snapshot_id:
        snap = rds.describe_snapshot(world, req.tier, req.snapshot_id)
        if snap is None:
            raise ConfigError(f"snapshot {req.snapshot_id} does not exist in tier {req.tier}",
                              fix="pass an existing snapshot id (aws rds describe-db-snapshots)")
        if snap.status != rds.AVAILABLE or snap.created_at is None:
            raise ConfigError(f"snapshot {snap.id} is {snap.status!r}, not available",
                              fix="wait for it, or pass another --snapshot")
        if snap.created_at > applied:
            raise ConfigError(f"snapshot {snap.id} was taken at {_utc(snap.created_at)}, after "
                              f"migration {req.version} was applied ({_utc(applied)}): restoring "
                              "it would not take the migration back",
                              fix="pass the snapshot taken before the promotion")
        return snap, "given with --snapshot"
    candidates = [s for s in rds.manual_snapshots(world, req.tier)
                  if s.instance == tier.db_instance and s.status == rds.AVAILABLE
                  and s.tag(naming.TAG_CYCLE) and s.created_at is not None
                  and s.created_at <= applied
                  and (req.cycle is None or s.tag(naming.TAG_CYCLE) == req.cycle)]
    of_cycle = f" of cycle {req.cycle}" if req.cycle else ""
    if not candidates:
        return None, (f"no available pre-promotion snapshot{of_cycle} (tagged "
                      f"{naming.TAG_CYCLE}) of {tier.db_instance} taken before {req.version} "
                      "was applied; pass --snapshot ID")
    snap = max(candidates, key=lambda s: s.created_at or applied)
    return snap, (f"the newest pre-promotion snapshot{of_cycle} taken before the migration: "
                  f"cycle {snap.tag(naming.TAG_CYCLE)}, taken {_utc(snap.created_at or applied)}")


def make_plan(world: World, req: DataRequest) -> DataPlan:
    """Read what the data rollback needs and decide its path; changes nothing (so it needs
    no production-write flag, only the tier's own account)."""
    if not req.reason.strip():
        raise ConfigError("a data rollback needs a reason",
                          fix='pass --reason "incident id + what the migration damaged"')
    tier = world.tier(req.tier)
    if not (tier.is_aws and tier.db_instance and tier.db_host_secret):
        raise ConfigError(f"tier '{req.tier}' has no database to roll back (db_instance and "
                          "db_host_secret)", fix=f"set them under [tiers.{req.tier}]")
    guard.check_write(tier, world.caller_account(req.tier), allow_prod=True,
                      action="plan a data rollback")
    migration = _migration(req, MigrationPattern.from_config(world.topology.migrations))
    when = applied_at(world.databases.source_dsn(tier)).get(req.version)
    if when is None:
        raise ConfigError(f"migration {req.version} is not in {BOOKKEEPING_TABLE} of tier "
                          f"{req.tier}'s database: there is nothing to take back",
                          fix="check the VERSION (harness gate lists what each tier has applied)")
    later = sorted(v for v in applied_versions(world.databases.source_dsn(tier)) if v > req.version)
    if later:
        raise ConfigError(f"{len(later)} migration(s) were applied after {req.version} on tier "
                          f"{req.tier}: {', '.join(later)}",
                          fix="take those back first, newest first; the down of an older "
                              "migration under newer ones is not what was tested")
    snapshot, note = _choose_snapshot(world, req, when)
    choice = decide(data_corrupt=req.data_corrupt, reversible=migration.reversible)
    if choice.path == "restore" and snapshot is None:
        raise ConfigError(f"the data must be restored ({choice.why}) but {note}",
                          fix="pass --snapshot ID (the snapshot taken before the promotion)")
    return DataPlan(req, migration, when, service(world, req.tier).current(), choice, snapshot,
                    note, naming.restored_instance_identifier(tier.db_instance or "", utcnow()))


@dataclass(frozen=True)
class DataResult:
    plan: DataPlan
    path: DataPath | None  # the path that ran to its end (None: stopped before)
    down: DownOutcome | None
    recovery: restore.DataRecovery | None
    measurement: Measurement | None

    @property
    def snapshot_restored(self) -> str | None:
        return self.plan.snapshot.id if self.recovery is not None and self.plan.snapshot else None


def _healthy_on(world: World, tier: str, app: Revision) -> tuple[bool, float | None, str]:
    """Whether the application answers healthy on ``app`` (polled a while, as after a
    swap), the monotonic instant it first did, and the last reading."""
    health = HealthClient(world.tier(tier))
    settings = RecoverySettings.application(world.topology)
    outcome = poll_until(health.read, lambda r: r.running(app.sha), interval=settings.poll_s,
                         deadline_s=min(settings.deadline_s, PRECONDITION_WAIT_S),
                         what=f"tier {tier} healthy on {app.label}")
    last = outcome.last.describe(app.sha) if outcome.last else "no reading"
    return outcome.succeeded, outcome.succeeded_at, last


def _copy_without(version: str) -> restore.CheckCopy:
    def check(dsn: str) -> str:
        try:
            listed = applied_versions(dsn)
        except psycopg.Error as exc:
            raise CheckFailed(f"cannot read {BOOKKEEPING_TABLE} on the restored copy: "
                              f"{str(exc).strip()}") from exc
        if version in listed:
            raise CheckFailed(f"the restored copy's {BOOKKEEPING_TABLE} lists {version}: the "
                              "snapshot was taken after the migration",
                              fix="restore the snapshot taken before the promotion (--snapshot)")
        return f"its {BOOKKEEPING_TABLE} ends at {listed[-1] if listed else '(empty)'}, without {version}"
    return check


def copy_table(actual: Fingerprint) -> dict[str, object]:
    """The restored copy's tables as an evidence table (rows and digest per table)."""
    return {"columns": ["table", "rows", "hash"],
            "rows": [[t.table, t.rows, t.digest] for t in actual.tables]}


def run(world: World, plan: DataPlan, log: PhaseLog) -> DataResult:
    """Carry ``plan`` out. A phase that fails is recorded and ends the run: the result says
    how far it got (an error the phase raised goes on to the caller)."""
    req, tier = plan.request, plan.request.tier
    world.guard_write(tier, action=f"roll back the data of migration {req.version}")
    data_rto = world.topology.data_rto_s
    poll = world.topology.application_poll_s
    with log.phase(APP_FIRST) as p:
        ok, _, last = _healthy_on(world, tier, plan.app)
        if not ok:
            raise CheckFailed(f"the application is not healthy on {plan.app.label}: {last}",
                              fix="roll the application back first (harness rollback), then "
                                  "run the data rollback")
        p.note(f"{plan.app.label} (image {short(plan.app.sha)}) is healthy: Layer 1 came first")
        p.note(f"decision: {plan.choice.path} ({plan.choice.why})")
    dsn = world.databases.source_dsn(world.tier(tier))
    watch = Stopwatch()  # the data RTO: from the first write
    down: DownOutcome | None = None
    if plan.choice.path == "down":
        with log.phase(f"down migration {plan.migration.name} tried first") as p:
            watch.mark("down issued")
            down = run_down(dsn, plan.migration)
            p.note(down.describe())
            if down.applied is None and plan.snapshot is None:
                p.fail(f"the down failed and there is no snapshot to fall back to: "
                       f"{plan.snapshot_note}\n{down.error}")
        if down.applied is None and plan.snapshot is None:
            return DataResult(plan, None, down, None, None)
        if down.applied is not None:
            watch.mark("down applied")
            with log.phase(APP_AFTER_DOWN) as p:
                ok, at, last = _healthy_on(world, tier, plan.app)
                if ok:
                    m = watch.measure(DATA_RTO, seconds=watch.mark("first healthy", at=at),
                                      target_seconds=data_rto, resolution_seconds=poll,
                                      subject=plan.app.label,
                                      note=f"down of {req.version} applied; {plan.app.label} "
                                           "healthy on the schema it left")
                else:
                    m = watch.measure(DATA_RTO, completed=False, target_seconds=data_rto,
                                      resolution_seconds=poll, subject=plan.app.label,
                                      note=f"not healthy after the down: {last}")
                    p.fail(f"the down ran but the application is not healthy on "
                           f"{plan.app.label}: {last}")
                log.measured(m)
                p.note(m.note)
            return DataResult(plan, "down" if ok else None, down, None, m)
        watch.mark("down failed")
    return _restore(world, plan, log, watch if down is not None else None, down)


def _restore(world: World, plan: DataPlan, log: PhaseLog, watch: Stopwatch | None,
             down: DownOutcome | None) -> DataResult:
    req, tier = plan.request, plan.request.tier
    assert plan.snapshot is not None, "make_plan refuses a restore without a snapshot"
    tags = {naming.TAG_CREATED_BY: naming.CREATED_BY, naming.TAG_REASON: req.reason,
            TAG_MIGRATION: req.version, **({naming.TAG_CYCLE: req.cycle} if req.cycle else {})}
    with log.phase(f"snapshot {plan.snapshot.id} restored to a new instance, verified, "
                   "application repointed") as p:
        offset = watch.elapsed() if watch is not None else 0.0
        recovery = restore.restore_and_verify(
            world, tier, plan.snapshot.id, instance_id=plan.restore_instance, tags=tags,
            expected=None, drill_id=None, check_copy=_copy_without(req.version),
            repoint=lambda inst: repoint_app(world, tier, inst.host or "", inst.port))
        m = recovery.measurement
        if watch is not None:  # the failed down came first: the data RTO started there
            m = m.from_earlier(offset, watch.started_at, watch.phases)
        log.measured(m)
        p.note(m.note)
        if recovery.actual is not None:
            p.check.attach(f"restored copy {plan.restore_instance}", "table",
                           copy_table(recovery.actual))
        try:
            recovery.raise_for_failure()
        except CheckFailed as exc:
            p.fail(exc.render())
    return DataResult(plan, "restore" if recovery.succeeded else None, down, recovery, m)
