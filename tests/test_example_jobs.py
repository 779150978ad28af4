"""Acceptance: each example workflow job's harness steps run in the sim as GitHub Actions
runs them (``workflow_jobs``), with ``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY`` set.
What the job's later steps and its `outputs:` read (``steps.<id>.outputs.<name>``) was
written by that step, and each command wrote the step summary exactly once (the examples
have no `cat summary.md` step any more)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from workflow_jobs import JobRun, run_job, step_outputs_read

from harness.backend.sim.seed import image_sha

pytestmark = pytest.mark.sim_only
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "workflows"
SHA = image_sha("staging", 3)  # what the sim's staging runs: the validated build
GITHUB = {"github.token": "sim-token", "github.actor": "oncall-alice"}
# The staging basic-auth secrets: the sim's staging app takes what the environment says.
BASIC_AUTH = {"secrets.STAGING_BASIC_AUTH_USER": "drill-bot",
              "secrets.STAGING_BASIC_AUTH_PASSWORD": "sim-basic-auth-password"}


def assert_reads_were_written(run: JobRun) -> None:
    """Every step output the job reads exists (an empty read would decide on nothing)."""
    read = step_outputs_read(run.job)
    assert read, "the job reads no step output"
    for step_id, name in read:
        written = run.step(step_id).outputs
        assert name in written, f"steps.{step_id}.outputs.{name} is read but not written: {written}"


def promote_condition(workflow: Path) -> str:
    return str(yaml.safe_load(workflow.read_text())["jobs"]["promote"]["if"])


def assert_summary_once(run: JobRun, step_id: str, heading: str) -> None:
    """The command wrote the step summary once, and no other step of the job writes it;
    its log (stdout, piped) starts with the same verdict line."""
    others = [s.get("name") for s in run.job["steps"]
              if "GITHUB_STEP_SUMMARY" in str(s.get("run", ""))]
    assert not others, f"steps writing the step summary besides the harness: {others}"
    step = run.step(step_id)
    assert step.summary.startswith(f"## {heading}") and step.summary.count("\n## ") == 0, \
        step.summary[:300]
    assert step.stdout.startswith(heading), step.stdout[:300]


def test_rollback_layer1_job(tmp_path: Path) -> None:
    run = run_job(EXAMPLES / "rollback-prod.yml", "rollback",
                  {"inputs.to-revision": "", "inputs.reason": "INC-7 bad deploy"} | GITHUB,
                  tmp_path / "ws")
    step = run.step("rollback")
    assert step.code == 0, step.stdout + step.stderr
    assert_reads_were_written(run)
    assert_summary_once(run, "rollback", "ROLLBACK PASS [SIMULATED]")
    assert step.outputs["verdict"] == "pass"
    assert (step.outputs["from_revision"], step.outputs["to_revision"]) == (
        "invapp-dev-app:3", "invapp-dev-app:2")
    assert (tmp_path / "ws" / step.outputs["report"]).is_file()  # what the artifact uploads


def test_rollback_data_job(tmp_path: Path) -> None:
    run = run_job(EXAMPLES / "rollback-prod.yml", "data-rollback", {
        "inputs.migration": "20260601090000", "inputs.reason": "INC-42 documents lost",
        "inputs.snapshot": "", "inputs.data-corrupt && 'yes' || ''": "yes",
        "secrets.HARNESS_PROD_DSN": ""} | GITHUB, tmp_path / "ws")
    step = run.step("data")
    assert step.code == 0, step.stdout + step.stderr
    assert_reads_were_written(run)
    assert_summary_once(run, "data", "ROLLBACK PASS [SIMULATED]")
    assert step.outputs["data_path"] == "restore" and step.outputs["snapshot_id"]
    assert (tmp_path / "ws" / step.outputs["report"]).is_file()


def test_promote_jobs(tmp_path: Path) -> None:
    workflow = EXAMPLES / "promote-to-prod.yml"
    values = {"inputs.sha": SHA, "inputs.cycle": "NQU-865", "inputs.reason": "NQU-865 green",
              "secrets.HARNESS_PROD_DSN": "", "secrets.HARNESS_STAGING_DSN": "",
              "secrets.STAGING_STRIPE_WEBHOOK_SECRET": ""} | BASIC_AUTH | GITHUB
    gate = run_job(workflow, "gate", values, tmp_path / "gate-ws")
    step = gate.step("gate")
    # The gate reads the job's checkout (the migrations folder, the git history since
    # prod's SHA), which the sim's workspace does not hold: the three items that read it
    # fail, and a failing gate is what is handed on here.
    assert step.code == 1, step.stdout + step.stderr
    assert_reads_were_written(gate)
    assert_summary_once(gate, "gate", "GATE FAIL [SIMULATED]")
    assert (step.outputs["verdict"], step.outputs["cycle"], step.outputs["sha"]) == (
        "fail", "NQU-865", SHA)
    errors = [line for line in step.stderr.splitlines() if line.startswith("::error title=GATE ")]
    assert len(errors) == 3, step.stderr
    # ... so the promote job, which runs only on the gate's written pass, is skipped.
    assert promote_condition(workflow) == "needs.gate.outputs.verdict == 'pass'"
    promote = run_job(workflow, "promote", values, tmp_path / "promote-ws")
    step = promote.step("promote")
    assert step.code == 0, step.stdout + step.stderr
    assert_reads_were_written(promote)
    assert_summary_once(promote, "promote", "PROMOTE PASS [SIMULATED]")
    assert step.outputs["snapshot_id"] and step.outputs["outcome"].startswith(f"Promoted {SHA[:12]}")


def test_quarterly_drill_job(tmp_path: Path) -> None:
    run = run_job(EXAMPLES / "quarterly-drill.yml", "drill", {
        "secrets.HARNESS_STAGING_DSN": ""} | BASIC_AUTH | GITHUB, tmp_path / "ws")
    step = run.step("drill")
    assert step.code == 0, step.stdout + step.stderr
    assert_reads_were_written(run)
    assert_summary_once(run, "drill", "DRILL PASS [SIMULATED]")
    assert step.outputs["application_rto_met"] == step.outputs["data_rto_met"] == "true"
    history = run.steps[-1]
    assert history.code == 0 and not history.outputs and not history.summary, history.stderr
