"""The run: script reader: commands split as the shell splits them, so the harness commands
in a workflow reach the CLI parser with the arguments the shell would pass."""

from __future__ import annotations

import pytest

from harness.workflows.shell import Script, dynamic


def harness(text: str) -> list[tuple[int, list[str]]]:
    script = Script.parse(text)
    return [(c.line, [script.restore(w) for w in c.arguments]) for c in script.harness_commands()]


@pytest.mark.parametrize(("text", "expected"), [
    ('harness gate --sha "$SHA" --cycle "a b"', [(0, ["gate", "--sha", "$SHA", "--cycle", "a b"])]),
    ("harness drill \\\n  --tier staging \\\n  --reports r", [(0, ["drill", "--tier", "staging",
                                                                  "--reports", "r"])]),
    ("set -e\nFOO=1 BAR='x y' harness drill", [(1, ["drill"])]),
    ("FOO=1 \\\n  harness drill", [(1, ["drill"])]),
    ("harness gate --json > gate.json 2>&1 || true", [(0, ["gate", "--json"])]),
    ('harness drill >> "$GITHUB_STEP_SUMMARY" 2> err.log', [(0, ["drill"])]),
    ("harness drill 2>&1 | tee drill.log", [(0, ["drill"])]),
    ("harness history --last 2 >out", [(0, ["history", "--last", "2"])]),
    ("if harness gate; then harness drill; fi", [(0, ["gate"]), (0, ["drill"])]),
    ("harness a; harness b && harness c & harness d", [(0, ["a"]), (0, ["b"]), (0, ["c"]),
                                                       (0, ["d"])]),
    ('echo "harness --nope" # harness --nope', []),
    ("promotion-harness --x; ./harness-x --y", []),
    (".venv/bin/harness drill", [(0, ["drill"])]),
    ('harness rollback ${N:+--to-revision "$N"} --reason r', [
        (0, ["rollback", "--to-revision", "$N", "--reason", "r"])]),
    ("harness rollback ${N+--plan}", [(0, ["rollback", "--plan"])]),
    ('harness promote --sha "${{ inputs.sha }}" --cycle ${{ inputs.cycle }}',
     [(0, ["promote", "--sha", "${{ inputs.sha }}", "--cycle", "${{ inputs.cycle }}"])]),
    ("harness gate ${{ inputs.json && '--json' || '' }}",
     [(0, ["gate", "${{ inputs.json && '--json' || '' }}"])]),
    ("harness promote --sha $(git rev-parse HEAD) --cycle `date +%s`",
     [(0, ["promote", "--sha", "$(git rev-parse HEAD)", "--cycle", "`date +%s`"])]),
    ("harness promote --reason 'two\nlines'\nharness drill", [(0, ["promote", "--reason",
                                                                  "two\nlines"]),
                                                             (2, ["drill"])]),
    ('harness promote --reason "say \\"hi\\" \\$5"', [(0, ["promote", "--reason", 'say "hi" $5'])]),
])
def test_harness_commands_as_the_shell_splits_them(text: str,
                                                   expected: list[tuple[int, list[str]]]) -> None:
    assert harness(text) == expected


def test_run_time_values_are_dynamic() -> None:
    assert dynamic("$SHA") and dynamic("${{ inputs.sha }}") and dynamic("`date`")
    assert dynamic("$(git rev-parse HEAD)") and not dynamic("--sha") and not dynamic("3")
    placeholder = Script.parse("harness x ${{ a }}").commands()[0].words[-1]
    assert dynamic(placeholder)
