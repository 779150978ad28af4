"""Steps for features/safety/workflow_contract: the GitHub Actions claims."""

from __future__ import annotations

from pathlib import Path

from pytest_bdd import given, parsers, then, when

from harness import workflows
from harness.cli.main import build_parser
from harness.cli.workflows import parser_check
from harness.evidence.journal import CheckRecord

ROOT = Path(__file__).resolve().parents[1]

# Each breakage a scenario names: (file, text in the shipped example, what replaces it).
BREAKAGES: dict[str, tuple[str, str, str]] = {
    "the promote workflow also runs on every push to main": (
        "promote-to-prod.yml", "on:\n", "on:\n  push:\n    branches: [main]\n"),
    "the promote workflow no longer requires the sha": (
        "promote-to-prod.yml", "required: true", "required: false"),
    "the promote job lost its production environment": (
        "promote-to-prod.yml",
        "    runs-on: ubuntu-latest\n    environment: production\n    timeout-minutes: 45\n",
        "    runs-on: ubuntu-latest\n    timeout-minutes: 45\n"),
    "the rollback workflow requires a target revision": (
        "rollback-prod.yml", "required: false", "required: true"),
    "the rollback workflow uses its own concurrency group": (
        "rollback-prod.yml", "group: prod-promote", "group: prod-rollback"),
    "the promote workflow cancels a run in progress": (
        "promote-to-prod.yml", "cancel-in-progress: false", "cancel-in-progress: true"),
    "the staging deploy also runs for pull requests": (
        "ci.yml", "    if: github.ref == 'refs/heads/main' && github.event_name == 'push'\n", ""),
    "the legacy production deploy job is switched back on": (
        "ci.yml", "    if: false\n", "    if: true\n"),
    "the promote command has a misspelt flag": (
        "promote-to-prod.yml", "--signed-off-by", "--signed-of-by"),
    "the rollback command lost its reason": (
        "rollback-prod.yml", '--reason "$REASON" \\\n', "\\\n"),
}


@given(parsers.parse('the workflow files in "{folder}"'), target_fixture="workflow_dir")
def workflow_files(folder: str) -> Path:
    return ROOT / folder


@given(parsers.parse('the workflow files in "{folder}" where {breakage}'), target_fixture="workflow_dir")
def broken_workflow_files(folder: str, breakage: str, tmp_path: Path) -> Path:
    name, old, new = BREAKAGES[breakage]
    for src in (ROOT / folder).glob("*.yml"):
        text = src.read_text(encoding="utf-8")
        assert src.name != name or old in text, f"{old!r} not in {name}"
        (tmp_path / src.name).write_text(text.replace(old, new, 1) if src.name == name else text)
    return tmp_path


@when("the workflow contract is checked", target_fixture="contract")
def contract_checked(workflow_dir: Path, check: CheckRecord) -> workflows.ContractReport:
    report = workflows.read_dir(workflow_dir, check=parser_check(build_parser()))
    check.attach("workflow claims", "text", "\n".join(c.render() for c in report.claims))
    return report


@then("every claim holds")
def every_claim_holds(contract: workflows.ContractReport) -> None:
    assert contract.ok, "\n".join(c.render() for c in contract.broken)


@then(parsers.parse('exactly one claim is broken: "{claim}" in "{file}" at key "{key}", with its line'))
def one_claim_broken(contract: workflows.ContractReport, check: CheckRecord, claim: str, file: str,
                     key: str) -> None:
    broken = contract.broken
    check.note("; ".join(c.render() for c in broken))
    assert [(c.id, Path(c.file).name, c.key) for c in broken] == [(claim, file, key)]
    assert broken[0].line is not None and f"{file}:{broken[0].line}" in broken[0].render()
