"""Binds features/migrations."""

from pytest_bdd import scenarios

scenarios("migrations")
