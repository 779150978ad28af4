"""Make in-process moto as atomic as AWS where the harness relies on it.

SSM creates a parameter at most once (``Overwrite=False``): the tier lock depends on that.
moto checks and then appends, so two threads can both pass the check; serialising its
``put_parameter`` gives the sim the guarantee the real service gives.
"""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock

from moto.ssm.models import SimpleSystemManagerBackend

_ORIGINAL = SimpleSystemManagerBackend.put_parameter
_GUARD = threading.Lock()


def _put_parameter(self: SimpleSystemManagerBackend, *args: Any, **kwargs: Any) -> Any:
    with _GUARD:
        return _ORIGINAL(self, *args, **kwargs)


def atomic_ssm_puts() -> Any:
    """A patcher (``start``/``stop``) for the duration of a sim."""
    return mock.patch.object(SimpleSystemManagerBackend, "put_parameter", _put_parameter)
