"""How the sim's databases are reached: the World's view of them (a tier's DSN, a restored
endpoint's DSN), the sim app's deep-health probe through the tier's DB-host secret, and the
seeding of each tier's RDS instance and secret."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import psycopg

from harness.backend.sim.app import DatabaseStatus
from harness.backend.sim.dataplane import DataPlane
from harness.errors import HarnessError
from harness.io.aws.secrets import parse_db_host
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


class SecretDatabaseProbe:
    """The sim app's database check, as the real app does it: read the DB host from the
    tier's secret, connect to the database behind that host, run ``SELECT 1``.

    The sim app reads the secret on every deep health; a real task reads it when it starts,
    which is why a repoint forces a new deployment.
    """

    def __init__(self, plane: DataPlane, tier: Tier,
                 session: Callable[[], boto3.Session]) -> None:
        self.plane = plane
        self.tier = tier
        self._session = session
        self._client: Any = None

    def _secret(self) -> str:
        for attempt in (1, 2):
            if self._client is None:
                self._client = self._session().client("secretsmanager")
            try:
                return str(self._client.get_secret_value(
                    SecretId=self.tier.db_host_secret)["SecretString"])
            except Exception:
                # A moto reset invalidates the session's credentials: renew once.
                self._client = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def check(self) -> DatabaseStatus:
        if not (self.tier.db_host_secret and self.tier.account_id):
            return DatabaseStatus(True, "ok (no database configured for this tier)")
        try:
            host = parse_db_host(self._secret()).host
        except Exception as exc:
            return DatabaseStatus(False, f"cannot read secret {self.tier.db_host_secret}: {exc}")
        try:
            dsn = self.plane.endpoint_dsn(self.tier.account_id, host)
            with psycopg.connect(dsn, connect_timeout=2) as conn:
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
