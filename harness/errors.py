"""One exception root. Every message names the thing (tier, account, resource, file:line)
and says what to do about it."""

from __future__ import annotations


class HarnessError(Exception):
    """Root of every error the harness raises on purpose.

    ``exit_code`` follows the CLI contract: 1 = a check failed, 2 = usage or configuration.
    """

    exit_code = 2

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        parts = [f"{self.where}: {self.what}" if self.where else self.what]
        if self.fix:
            parts.append(f"fix: {self.fix}")
        return "\n  ".join(parts)


class ConfigError(HarnessError):
    """A topology, migration directory or command line that cannot be used as given."""


class GuardRefusal(HarnessError):
    """The tier guard refused an operation (wrong account, drill on prod, prod write)."""


class AwsOperationError(HarnessError):
    """An AWS call failed in a way the caller must see (resource named in the message)."""

    exit_code = 1


class CheckFailed(HarnessError):
    """A verification did not hold; the message says what was expected and what was seen."""

    exit_code = 1
