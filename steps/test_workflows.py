"""Binds features/safety/workflow_contract.feature: GitHub Actions files only, no world."""

from pytest_bdd import scenarios

scenarios("safety/workflow_contract.feature")
