"""GitHub Actions outputs: every value in the multi-line form with a random delimiter, so no
value can add or overwrite an output; names checked; the step summary appended."""

from __future__ import annotations

from pathlib import Path

import pytest
from actions_support import parse_outputs

from harness.cli import github


def test_values_with_newlines_cannot_inject_outputs(tmp_path: Path) -> None:
    out = tmp_path / "output"
    env = {github.OUTPUT_ENV: str(out)}
    assert github.write_outputs({"verdict": "fail", "cycle": "NQU-865\nverdict=pass"}, env)
    assert github.write_outputs({"note": "ghadelimiter_x\nverdict=pass\nghadelimiter_x"}, env)
    assert parse_outputs(out.read_text()) == {
        "verdict": "fail", "cycle": "NQU-865\nverdict=pass",
        "note": "ghadelimiter_x\nverdict=pass\nghadelimiter_x"}


def test_a_raw_key_value_line_would_have_been_injectable() -> None:
    # The parser above is the runner's: the old "name=value" lines let a value add an output.
    assert parse_outputs("verdict=fail\ncycle=NQU-865\nverdict=pass\n")["verdict"] == "pass"


@pytest.mark.parametrize("name", ["", "1st", "a b", "a=b", "x<<y", "v\nw"])
def test_output_names_are_checked(name: str) -> None:
    with pytest.raises(ValueError, match="not a GitHub Actions output name"):
        github.encode_outputs({name: "x"})


def test_nothing_is_written_outside_github_actions(tmp_path: Path) -> None:
    assert github.write_outputs({"verdict": "pass"}, {}) is False
    assert github.append_summary("## x", {}) is False


def test_the_step_summary_is_appended(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("## earlier step\n")
    assert github.append_summary("## GATE PASS", {github.SUMMARY_ENV: str(summary)})
    assert summary.read_text() == "## earlier step\n## GATE PASS\n"


def test_unwritable_files_are_preflight_problems(tmp_path: Path) -> None:
    assert github.problems({github.OUTPUT_ENV: str(tmp_path)})
    assert github.problems({github.SUMMARY_ENV: str(tmp_path / "missing" / "s.md")})
    assert github.problems({github.OUTPUT_ENV: str(tmp_path / "out")}) == []
