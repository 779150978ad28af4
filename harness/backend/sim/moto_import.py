"""moto imported for the sim with one boto3 Session answering its region lookups.

moto's EC2 models (which ECS, RDS and SSM import) ask three new boto3 Sessions for the
regions while they import; each new Session parses botocore's endpoint data anew, about
0.9 s of every sim start together. One Session gives the same answers once.
"""

from __future__ import annotations

import sys
from typing import Any
from unittest import mock


def load() -> None:
    """Import ``moto.ec2`` (idempotent); its region lookups answered by one shared Session."""
    if "moto.ec2" in sys.modules:
        return
    import boto3

    shared = boto3.Session()
    original = boto3.Session.get_available_regions

    def lookup(self: Any, service_name: str, partition_name: str = "aws",
               allow_non_regional: bool = False) -> list[str]:
        found: list[str] = original(shared, service_name, partition_name,
                                    allow_non_regional)
        return found

    with mock.patch.object(boto3.Session, "get_available_regions", lookup):
        import moto.ec2  # noqa: F401
