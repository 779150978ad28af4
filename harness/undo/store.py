"""Undo records kept in the tier itself: one SSM parameter per run under
``/promotion-harness/undo/<cluster>/<service>/<run id>``, written (behind the tier guard)
before each change it describes, read back by the replay, deleted once it was replayed."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from harness.clock import iso, utcnow
from harness.errors import AwsOperationError
from harness.io.aws.calls import AwsCall, error_code, execute
from harness.topology import Tier
from harness.undo.record import UndoRecord
from harness.world import World

PREFIX = "/promotion-harness/undo"


def prefix(tier: Tier) -> str:
    return f"{PREFIX}/{tier.cluster}/{tier.service}"


def parameter_name(tier: Tier, run_id: str) -> str:
    return f"{prefix(tier)}/{run_id}"


class UndoLog:
    """The undo record of run ``run_id`` on ``tier``, written ahead of each change."""

    def __init__(self, world: World, tier: str, run_id: str, operation: str) -> None:
        self.world = world
        self.tier = world.tier(tier)
        self.name = parameter_name(self.tier, run_id)
        self.record = UndoRecord(run_id, tier, operation, iso(utcnow()))
        self._written = False

    def service(self, arn: str) -> None:
        """Before the service is first swapped: the revision to put back."""
        self._write(self.record.with_service(arn))

    def db_host(self, host: str, port: int | None) -> None:
        """Before the DB-host secret is first changed: the host to point back at."""
        self._write(self.record.with_db_host(host, port))

    def revision(self, arn: str) -> None:
        """After a revision was registered (its drill tag covers the instant before)."""
        self._write(self.record.with_revision(arn))

    def _write(self, record: UndoRecord) -> None:
        if record == self.record and self._written:
            return
        try:
            execute(self.world, AwsCall(self.tier.name, "ssm", "put_parameter", {
                "Name": self.name, "Value": record.to_value(), "Type": "String",
                "Overwrite": True, "Description": f"promotion-harness undo record of run "
                                                  f"{record.run_id}"},
                why="record how to undo the next change (write-ahead)"))
        except (BotoCoreError, ClientError) as exc:
            raise AwsOperationError(f"cannot write the undo record {self.name}: {exc}",
                                    where=f"tier {self.tier.name}",
                                    fix="the tier's role needs ssm:PutParameter on "
                                        f"{PREFIX}/*; nothing was changed") from exc
        self.record, self._written = record, True


def read_records(world: World, tier: str, run_id: str | None = None
                 ) -> list[tuple[str, str]]:
    """(parameter name, value) of every undo record on ``tier`` (of ``run_id`` only when
    given)."""
    t = world.tier(tier)
    found: list[tuple[str, str]] = []
    token: str | None = None
    while True:
        params = {"Path": prefix(t), "Recursive": True}
        if token:
            params["NextToken"] = token
        try:
            out = execute(world, AwsCall(tier, "ssm", "get_parameters_by_path", params))
        except (BotoCoreError, ClientError) as exc:
            raise AwsOperationError(f"cannot read the undo records under {prefix(t)}: {exc}",
                                    where=f"tier {tier}", fix="the tier's role needs "
                                    f"ssm:GetParametersByPath on {PREFIX}/*") from exc
        found += [(str(p["Name"]), str(p["Value"])) for p in out.get("Parameters", [])]
        token = out.get("NextToken")
        if not token:
            break
    if run_id is not None:
        found = [(n, v) for n, v in found if n == parameter_name(t, run_id)]
    return sorted(found)


def delete_record(world: World, tier: str, name: str) -> None:
    try:
        execute(world, AwsCall(tier, "ssm", "delete_parameter", {"Name": name},
                               why="the undo record was replayed"))
    except ClientError as exc:
        if error_code(exc) != "ParameterNotFound":
            raise AwsOperationError(f"cannot delete the undo record {name}: {exc}",
                                    where=f"tier {tier}", fix="delete it by hand once the "
                                    "tier is verified clean") from exc
