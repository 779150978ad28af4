"""Binds features/safety."""

from pytest_bdd import scenarios

scenarios("safety")
