"""The workflow contract over the shipped examples and broken variants of them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness import workflows
from harness.cli import main as cli
from harness.cli.main import build_parser
from harness.cli.workflows import parser_check
from harness.workflows import Claim, Contract, Workflow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "workflows"
C = Contract()


def texts(**replace: tuple[str, str]) -> dict[str, str | None]:
    """The example files, with {file stem: (old, new)} replaced once (asserted present)."""
    out: dict[str, str | None] = {}
    for name in (C.promote_file, C.rollback_file, C.ci_file):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        stem = name.removesuffix(".yml").replace("-", "_")
        if stem in replace:
            old, new = replace[stem]
            assert old in text, f"{old!r} not in {name}"
            text = text.replace(old, new, 1)
        out[name] = text
    return out


def only_broken(report: workflows.ContractReport) -> Claim:
    assert len(report.broken) == 1, [c.render() for c in report.broken]
    return report.broken[0]


def line_of(name: str, needle: str, text: str | None = None) -> int:
    body = text if text is not None else (EXAMPLES / name).read_text(encoding="utf-8")
    return next(i for i, ln in enumerate(body.splitlines(), 1) if ln.strip().startswith(needle))


def test_the_shipped_examples_hold_every_claim() -> None:
    report = workflows.read_dir(EXAMPLES)
    assert report.ok, [c.render() for c in report.broken]
    ids = {c.id for c in report.claims}
    assert {"promote.dispatch-only", "promote.sha-required", "promote.reason-input",
            "promote.environment", "promote.concurrency", "rollback.dispatch-only",
            "rollback.to-revision-optional", "rollback.reason-input", "rollback.environment",
            "rollback.concurrency", "ci.push-to-main", "ci.staging-on-main",
            "ci.legacy-prod-disabled", "ci.no-prod-job"} <= ids


@pytest.mark.parametrize(("stem", "old", "new", "claim_id", "key", "line_needle"), [
    ("promote_to_prod", "on:\n  workflow_dispatch:",
     "on:\n  push:\n    branches: [main]\n  workflow_dispatch:",
     "promote.dispatch-only", "on", "on:"),
    ("promote_to_prod", "required: true\n        type: string\n      cycle:",
     "required: false\n        type: string\n      cycle:",
     "promote.sha-required", "on.workflow_dispatch.inputs.sha", "sha:"),
    ("promote_to_prod", "      sha:\n", "      commit:\n",
     "promote.sha-required", "on.workflow_dispatch.inputs.sha", "inputs:"),
    ("promote_to_prod", "      reason:\n", "      why:\n",
     "promote.reason-input", "on.workflow_dispatch.inputs.reason", "inputs:"),
    ("promote_to_prod", "    runs-on: ubuntu-latest\n    environment: production\n    timeout-minutes: 45\n",
     "    runs-on: ubuntu-latest\n    timeout-minutes: 45\n",
     "promote.environment", "jobs.promote.environment", "promote:"),
    ("promote_to_prod", "group: prod-promote", "group: prod-promote-${{ github.ref }}",
     "promote.concurrency", "concurrency", "concurrency:"),
    ("promote_to_prod", "cancel-in-progress: false", "cancel-in-progress: true",
     "promote.concurrency", "concurrency.cancel-in-progress", "cancel-in-progress:"),
    ("rollback_prod", "on:\n  workflow_dispatch:",
     "on:\n  schedule:\n    - cron: '0 3 * * *'\n  workflow_dispatch:",
     "rollback.dispatch-only", "on", "on:"),
    ("rollback_prod", "required: false", "required: true",
     "rollback.to-revision-optional", "on.workflow_dispatch.inputs.to-revision", "to-revision:"),
    ("rollback_prod", "      to-revision:\n", "      revision:\n",
     "rollback.to-revision-optional", "on.workflow_dispatch.inputs.to-revision", "inputs:"),
    ("rollback_prod", "      reason:\n", "      incident:\n",
     "rollback.reason-input", "on.workflow_dispatch.inputs.reason", "inputs:"),
    ("rollback_prod", "environment: production", "environment: prod",
     "rollback.environment", "jobs.rollback.environment", "environment:"),
    ("rollback_prod", "group: prod-promote", "group: prod-rollback",
     "rollback.concurrency", "concurrency", "concurrency:"),
    ("ci", "    if: github.ref == 'refs/heads/main' && github.event_name == 'push'\n", "",
     "ci.staging-on-main", "jobs.deploy-staging", "deploy-staging:"),
    ("ci", "if: github.ref == 'refs/heads/main' && github.event_name == 'push'",
     "if: github.ref == 'refs/heads/main' || github.event_name == 'pull_request'",
     "ci.staging-on-main", "jobs.deploy-staging.if", "if: github.ref"),
    ("ci", "    if: false\n", "",
     "ci.legacy-prod-disabled", "jobs.deploy.if", "deploy:"),
    ("ci", "    if: false\n", "    if: ${{ !cancelled() }}\n",
     "ci.legacy-prod-disabled", "jobs.deploy.if", "if: ${{ !cancelled() }}"),
    ("ci", "  push:\n    branches: [main]\n", "  push:\n    branches: [release]\n",
     "ci.push-to-main", "on.push", "push:"),
    ("ci", "    environment: staging\n", "    environment: production\n",
     "ci.no-prod-job", "jobs.deploy-staging.environment", "environment: production"),
])
def test_each_broken_claim_is_reported_with_file_key_and_line(
        stem: str, old: str, new: str, claim_id: str, key: str, line_needle: str) -> None:
    variant = texts(**{stem: (old, new)})
    name = stem.replace("_", "-") + ".yml"
    claim = only_broken(workflows.check_texts(variant))
    assert (claim.id, claim.file, claim.key) == (claim_id, name, key), claim.render()
    assert claim.line == line_of(name, line_needle, variant[name]), claim.render()
    assert f"{name}:{claim.line}" in claim.render() and f"[{key}]" in claim.render()


def test_legacy_job_may_be_disabled_with_an_expression_or_removed() -> None:
    assert workflows.check_texts(texts(ci=("if: false", "if: ${{ false }}"))).ok
    legacy = "  deploy:\n    needs: test\n    if: false\n"
    ci = texts()[C.ci_file] or ""
    removed = ci[: ci.index("  # Legacy direct-to-production")]
    assert legacy in ci
    assert workflows.check_texts({**texts(), C.ci_file: removed}).ok


def test_environment_may_be_a_mapping_and_concurrency_a_string() -> None:
    variant = texts(
        rollback_prod=("environment: production", "environment:\n      name: production"),
        promote_to_prod=("concurrency:\n  group: prod-promote\n  cancel-in-progress: false",
                         "concurrency: prod-promote"))
    assert workflows.check_texts(variant).ok


def test_staging_deploy_may_rely_on_push_to_main_being_the_only_trigger() -> None:
    ci = (texts()[C.ci_file] or "").replace("  pull_request:\n", "", 1).replace(
        "    if: github.ref == 'refs/heads/main' && github.event_name == 'push'\n", "", 1)
    assert workflows.check_texts({**texts(), C.ci_file: ci}).ok


def test_plain_pyyaml_on_key_is_understood() -> None:
    text = (EXAMPLES / C.promote_file).read_text(encoding="utf-8")
    plain = yaml.safe_load(text)
    assert True in plain and "on" not in plain  # YAML 1.1: `on` is a boolean
    wf = Workflow(C.promote_file, plain)
    assert list(wf.triggers) == ["workflow_dispatch"] and "sha" in wf.dispatch_inputs()
    assert "on" in Workflow.parse(text, C.promote_file).data


def test_dispatch_given_as_a_bare_string_still_needs_the_inputs() -> None:
    variant = texts(rollback_prod=("on:\n  workflow_dispatch:\n", "on: workflow_dispatch\nx:\n"))
    broken = {c.id for c in workflows.check_texts(variant).broken}
    assert broken == {"rollback.to-revision-optional", "rollback.reason-input"}


def test_missing_and_unparsable_files_are_claims_not_crashes() -> None:
    report = workflows.check_texts({C.promote_file: None, C.rollback_file: "on: [",
                                    C.ci_file: texts()[C.ci_file]})
    broken = {(c.id, c.file) for c in report.broken}
    assert broken == {("file-present", C.promote_file), ("file-parses", C.rollback_file)}


def test_cli_exit_codes_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["workflows", "check", str(EXAMPLES)]) == 0
    assert "workflow contract holds" in capsys.readouterr().out
    for name, text in texts(ci=("if: false", "if: true")).items():
        (tmp_path / name).write_text(text or "")
    assert cli.main(["workflows", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    line = line_of(C.ci_file, "if: true", (tmp_path / C.ci_file).read_text())
    assert f"ci.yml:{line} [jobs.deploy.if]" in out and "BROKEN" in out
    assert cli.main(["workflows", "check", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err


# --- every harness command in a run: step, parsed by the real CLI -----------------------------

def commands_report(**replace: tuple[str, str]) -> workflows.ContractReport:
    variant = texts(**replace)
    drill = (EXAMPLES / "quarterly-drill.yml").read_text(encoding="utf-8")
    claims = workflows.check_commands(
        {name: text or "" for name, text in variant.items()} | {"quarterly-drill.yml": drill},
        parser_check(build_parser()))
    return workflows.ContractReport(".", tuple(claims))


def test_every_example_command_parses_with_the_real_cli() -> None:
    report = workflows.read_dir(EXAMPLES, check=parser_check(build_parser()))
    assert report.ok, [c.render() for c in report.broken]
    parsed = sorted((Path(c.file).name, c.key) for c in report.claims if c.id == "command.parses")
    assert parsed == [
        ("promote-to-prod.yml", "jobs.gate.steps[4] (Gate)"),
        ("promote-to-prod.yml", "jobs.promote.steps[4] (Promote)"),
        ("quarterly-drill.yml", "jobs.drill.steps[5] (Drill)"),
        ("quarterly-drill.yml", "jobs.drill.steps[6] (The trend on staging, real accounts)"),
        ("rollback-prod.yml", "jobs.data-rollback.steps[4] (Data rollback)"),
        ("rollback-prod.yml", "jobs.rollback.steps[4] (Rollback)"),
    ]
    assert not [c for c in report.claims if c.id == "command.disabled"]


@pytest.mark.parametrize(("stem", "old", "new", "key", "needle", "seen"), [
    ("promote_to_prod", "--signed-off-by", "--signed-of-by", "jobs.promote.steps[4] (Promote)",
     "harness promote", "unrecognized arguments: --signed-of-by"),
    ("rollback_prod", '--reason "$REASON" \\\n', "\\\n", "jobs.rollback.steps[4] (Rollback)",
     "harness rollback", "the following arguments are required: --reason"),
    ("promote_to_prod", "--tier staging", "--tier staging --json --bogus",
     "jobs.gate.steps[4] (Gate)", "harness gate", "unrecognized arguments: --bogus"),
    ("rollback_prod", "--allow-prod-write --reason", "--allow-prod-write --to-revision three --reason",
     "jobs.rollback.steps[4] (Rollback)", "harness rollback",
     "argument --to-revision: 'three' is not a revision number"),
    ("promote_to_prod", "--backend aws --topology \"$HARNESS_TOPOLOGY\" --tier prod",
     "--backend azure --topology \"$HARNESS_TOPOLOGY\" --tier prod",
     "jobs.promote.steps[4] (Promote)", "harness promote", "invalid choice: 'azure'"),
    ("rollback_prod", '--migration "$MIGRATION" ', "",
     "jobs.data-rollback.steps[4] (Data rollback)", "harness rollback data",
     "the following arguments are required: --migration"),
    ("rollback_prod", "--reports reports\n", "--reports reports --no-such-flag\n",
     "jobs.rollback.steps[4] (Rollback)", "harness rollback", "unrecognized arguments: "
     "--no-such-flag"),
])
def test_a_planted_command_error_names_file_job_step_and_line(
        stem: str, old: str, new: str, key: str, needle: str, seen: str) -> None:
    claim = only_broken(commands_report(**{stem: (old, new)}))
    name = stem.replace("_", "-") + ".yml"
    assert (claim.id, claim.file, claim.key) == ("command.parses", name, key), claim.render()
    assert seen in claim.seen, claim.seen
    text = texts(**{stem: (old, new)})[name] or ""
    assert claim.line == line_of(name, needle, text)
    assert f"{name}:{claim.line} [{key}]" in claim.render()


def test_run_time_values_are_accepted_whatever_the_option_type() -> None:
    # "$TO_REVISION" for an int option, an expression for a choice: unknown here, accepted.
    report = commands_report(rollback_prod=(
        '--tier prod \\\n', '--tier prod --backend ${{ inputs.backend }} --to-revision "$N" \\\n'))
    assert report.ok, [c.render() for c in report.broken]


def test_an_expression_standing_for_a_whole_flag_cannot_be_checked() -> None:
    claim = only_broken(commands_report(promote_to_prod=(
        "--tier staging", "--tier staging ${{ inputs.json && '--json' || '' }}")))
    assert "unrecognized arguments: ${{ inputs.json && '--json' || '' }}" in claim.seen


def test_literal_blocks_steps_and_shells(tmp_path: Path) -> None:
    text = """name: x
on: workflow_dispatch
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - name: literal
        run: |
          set -eu
          # harness --nope (a comment)
          echo "harness --nope" > out.txt
          FOO=1 harness drill \\
            --tier staging \\
            --bogus 2>&1 | tee drill.log
      - if: false
        run: harness --nope
      - shell: python
        run: print("harness --nope")
      - run: harness history --reports r && harness topology show --nope
      - run: |
          echo 'a quoted harness
          line' && harness --nope
      - run: >-
          harness history --reports r; harness drill
          --nope
"""
    claims = workflows.check_commands({"x.yml": text}, parser_check(build_parser()))
    broken = [c for c in claims if not c.ok]
    assert [(c.key, c.line) for c in broken] == [
        ("jobs.a.steps[0] (literal)", 12), ("jobs.a.steps[3]", 19), ("jobs.a.steps[4]", 22),
        ("jobs.a.steps[5]", 24)]
    assert "unrecognized arguments: --bogus" in broken[0].seen
    assert "unrecognized arguments: --nope" in broken[1].seen
    assert "the following arguments are required: COMMAND" in broken[2].seen
    assert "unrecognized arguments: --nope (in: harness drill --nope)" in broken[3].seen
    assert [c.id for c in claims if c.ok] == ["command.parses", "command.parses",
                                              "command.disabled"]
    # Every workflow file in the folder is read, not only the three the contract names.
    (tmp_path / "x.yml").write_text(text)
    report = workflows.read_dir(tmp_path, check=parser_check(build_parser()))
    assert [c.id for c in report.broken].count("command.parses") == 4
    assert [c.id for c in report.broken].count("file-present") == 3


def test_cli_reports_a_planted_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in texts(promote_to_prod=("--signed-off-by", "--signed-of-by")).items():
        (tmp_path / name).write_text(text or "")
    assert cli.main(["workflows", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    line = line_of(C.promote_file, "harness promote", (tmp_path / C.promote_file).read_text())
    assert f"promote-to-prod.yml:{line} [jobs.promote.steps[4] (Promote)]" in out
    assert "unrecognized arguments: --signed-of-by" in out and "1 of 20 claims broken" in out
