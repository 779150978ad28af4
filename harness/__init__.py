"""Executable checks for the staging -> production promotion and rollback runbook."""

__version__ = "0.1.0"
