"""How the sim's databases are reached: the World's view of them (a tier's DSN, a restored
endpoint's DSN), the sim app's deep-health probe of the host its tasks read from the DB-host
secret, and the seeding of each tier's RDS instance and secret."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import boto3
import psycopg

from harness.backend.sim.app import DatabaseStatus
from harness.backend.sim.dataplane import DataPlane
from harness.errors import HarnessError
from harness.topology import Tier


@dataclass(frozen=True)
class SimDatabases:
    """The World's view of the sim's databases (``harness.io.db.endpoints.Databases``)."""

    plane: DataPlane

    def source_dsn(self, tier: Tier) -> str:
        assert tier.account_id and tier.db_instance
        return self.plane.instance_dsn(tier.account_id, tier.db_instance)

    def endpoint_dsn(self, tier: Tier, host: str, port: int | None) -> str:
        assert tier.account_id
        return self.plane.endpoint_dsn(tier.account_id, host)


class HostDatabaseProbe:
    """The sim app's database check, as the real app does it: connect to the database behind
    the host its tasks read from the DB-host secret when they started, run ``SELECT 1``.
    ``dsn_for_host`` maps an RDS endpoint host to the PostgreSQL database standing behind it."""

    def __init__(self, dsn_for_host: Callable[[str], str]) -> None:
        self.dsn_for_host = dsn_for_host

    def check(self, host: str | None) -> DatabaseStatus:
        if not host:
            return DatabaseStatus(True, "ok (no database configured for this tier)")
        try:
            with psycopg.connect(self.dsn_for_host(host), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
        except (HarnessError, psycopg.Error) as exc:
            reason = exc.what if isinstance(exc, HarnessError) else str(exc).strip()
            return DatabaseStatus(False, f"database at {host} unreachable: {reason}")
        return DatabaseStatus(True, f"ok: connected to {host}")


def seed_database(session: boto3.Session, tier: Tier) -> str | None:
    """Make sure the tier's RDS instance and its DB-host secret exist; returns the endpoint
    host. Idempotent: the AWS seeding (``seed.py``) normally creates the instance first."""
    if not tier.db_instance:
        return None
    rds = session.client("rds")
    try:
        found = rds.describe_db_instances(DBInstanceIdentifier=tier.db_instance)["DBInstances"]
    except rds.exceptions.DBInstanceNotFoundFault:
        found = [rds.create_db_instance(
            DBInstanceIdentifier=tier.db_instance, Engine="postgres", EngineVersion="16.3",
            DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="app",
            MasterUserPassword="sim-only-password")["DBInstance"]]
    host = str(found[0]["Endpoint"]["Address"])
    if tier.db_host_secret:
        secrets = session.client("secretsmanager")
        try:
            secrets.create_secret(Name=tier.db_host_secret, SecretString=host)
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=tier.db_host_secret, SecretString=host)
    return host
