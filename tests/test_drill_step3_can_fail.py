"""Drill step 3 must fail when the down does not restore the schema: run its scenario, as
written, with the reversible test migration swapped for one whose down is deliberately
wrong, in a pytest of its own (its own sim), and expect that scenario to fail on parity."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FEATURE = ROOT / "features" / "drill" / "step3_migration_parity.feature"
RIGHT = "And the drill's reversible test migration"
WRONG = "And the drill's test migration with a deliberately wrong down"

pytest_plugins = ["pytester"]


def test_the_step3_scenario_fails_with_a_deliberately_wrong_down(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    feature = FEATURE.read_text()
    parity_scenario = feature.split("\n  Scenario: A down that leaves")[0]
    assert RIGHT in parity_scenario
    pytester.makefile(".feature", step3=parity_scenario.replace(RIGHT, WRONG))
    pytester.makepyfile(test_step3="from pytest_bdd import scenarios\n\n"
                                   "scenarios('step3.feature')\n")
    pytester.makeconftest("pytest_plugins = ['steps.common', 'steps.drill', "
                          "'steps.drill_step3']\n")
    pytester.makeini("[pytest]\nmarkers =\n    drill\n    step3\n")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*different schemas*",
        "*+CREATE TABLE public.harness_drill_s3_*",
    ])
