"""The workflow contract: the GitHub Actions claims that make the promotion gate real,
checked over the parsed workflow files (which file, which key, which line). Pure: the checks
take YAML text and return claims as data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError
from harness.workflows.model import Claim, ContractReport, Workflow, is_false, strip_expression


@dataclass(frozen=True)
class Contract:
    """The names the runbook uses; a team with other file or job names overrides them."""

    promote_file: str = "promote-to-prod.yml"
    rollback_file: str = "rollback-prod.yml"
    ci_file: str = "ci.yml"
    concurrency_group: str = "prod-promote"
    environment: str = "production"
    staging_job: str = "deploy-staging"
    legacy_prod_job: str = "deploy"
    main_branch: str = "main"


# --- the checks -------------------------------------------------------------------------------

def check_texts(texts: Mapping[str, str | None], contract: Contract | None = None,
                directory: str = ".", shown: Mapping[str, str] | None = None) -> ContractReport:
    """Check the three workflow files given as {contract file name: text, None when missing};
    ``shown`` maps a contract file name to the path printed in claims."""
    c = contract or Contract()
    claims: list[Claim] = []
    parsed: dict[str, Workflow] = {}
    for name in (c.promote_file, c.rollback_file, c.ci_file):
        text = texts.get(name)
        display = (shown or {}).get(name, name)
        if text is None:
            claims.append(Claim(id="file-present", file=display, key="(file)",
                                statement="the workflow file exists", ok=False,
                                seen=f"no {name} in {directory}"))
            continue
        try:
            parsed[name] = Workflow.parse(text, display)
        except ConfigError as exc:
            claims.append(Claim(id="file-parses", file=name, key="(file)",
                                statement="the workflow file is a valid YAML mapping",
                                ok=False, seen=exc.what))
    if c.promote_file in parsed:
        claims += promote_claims(parsed[c.promote_file], c)
    if c.rollback_file in parsed:
        claims += rollback_claims(parsed[c.rollback_file], c)
    if c.ci_file in parsed:
        claims += ci_claims(parsed[c.ci_file], c)
    return ContractReport(directory, tuple(claims))


def promote_claims(wf: Workflow, c: Contract) -> list[Claim]:
    inputs = wf.dispatch_inputs()
    sha = inputs.get("sha")
    return [
        _dispatch_only(wf, "promote"),
        wf.claim("promote.sha-required", "on.workflow_dispatch.inputs.sha",
                 "input `sha` (the validated SHA) is required",
                 sha is not None and sha.get("required") is True,
                 "missing" if sha is None else f"required is {sha.get('required')!r}"),
        _input_present(wf, "promote.reason-input", "reason", inputs),
        *_environment(wf, c, "promote"),
        _concurrency(wf, c, "promote"),
    ]


def rollback_claims(wf: Workflow, c: Contract) -> list[Claim]:
    inputs = wf.dispatch_inputs()
    target = inputs.get("to-revision")
    return [
        _dispatch_only(wf, "rollback"),
        wf.claim("rollback.to-revision-optional", "on.workflow_dispatch.inputs.to-revision",
                 "input `to-revision` exists and is optional (default: the previous revision)",
                 target is not None and target.get("required") is not True,
                 "missing" if target is None else "required is true"),
        _input_present(wf, "rollback.reason-input", "reason", inputs),
        *_environment(wf, c, "rollback"),
        _concurrency(wf, c, "rollback"),
    ]


def ci_claims(wf: Workflow, c: Contract) -> list[Claim]:
    jobs = wf.jobs
    claims = [_push_to_main(wf, c)]
    staging = jobs.get(c.staging_job)
    key = f"jobs.{c.staging_job}"
    if staging is None:
        claims.append(wf.claim("ci.staging-on-main", key,
                               f"job `{c.staging_job}` deploys to staging from `{c.main_branch}` only",
                               False, f"no job `{c.staging_job}`"))
    else:
        only_main = _if_is_main_only(staging.get("if"), c.main_branch) or _triggers_main_only(wf, c)
        claims.append(wf.claim(
            "ci.staging-on-main", f"{key}.if" if "if" in staging else key,
            f"job `{c.staging_job}` deploys to staging from `{c.main_branch}` only", only_main,
            f"if is {staging.get('if')!r} and the workflow also runs for other refs"))
    legacy = jobs.get(c.legacy_prod_job)
    if legacy is not None:
        claims.append(wf.claim(
            "ci.legacy-prod-disabled", f"jobs.{c.legacy_prod_job}.if",
            f"legacy production job `{c.legacy_prod_job}` is disabled (`if: false`)",
            is_false(legacy.get("if")), f"if is {legacy.get('if')!r}"))
    stray = sorted(name for name, job in jobs.items()
                   if name != c.legacy_prod_job and _environment_name(job) == c.environment)
    claims.append(wf.claim(
        "ci.no-prod-job", f"jobs.{stray[0]}.environment" if stray else "jobs",
        f"no other CI job deploys to `{c.environment}`", not stray,
        f"job(s) {', '.join(stray)} declare environment {c.environment}"))
    return claims


def _dispatch_only(wf: Workflow, prefix: str) -> Claim:
    events = sorted(wf.triggers)
    return wf.claim(f"{prefix}.dispatch-only", "on", "triggered by `workflow_dispatch` only",
                    events == ["workflow_dispatch"],
                    f"triggers are {', '.join(events) or '(none)'}")


def _input_present(wf: Workflow, id: str, name: str, inputs: dict[str, Any]) -> Claim:
    return wf.claim(id, f"on.workflow_dispatch.inputs.{name}",
                    f"input `{name}` exists", name in inputs, "missing")


def _environment_name(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    if isinstance(env, dict):
        env = env.get("name")
    return str(env) if env is not None else None


def _environment(wf: Workflow, c: Contract, prefix: str) -> list[Claim]:
    statement = f"every job declares `environment: {c.environment}`"
    if not wf.jobs:
        return [wf.claim(f"{prefix}.environment", "jobs", statement, False, "no jobs")]
    return [
        wf.claim(f"{prefix}.environment", f"jobs.{name}.environment", statement,
                 _environment_name(job) == c.environment,
                 f"job `{name}` has environment {_environment_name(job)!r}")
        for name, job in wf.jobs.items()
    ]


def _concurrency(wf: Workflow, c: Contract, prefix: str) -> Claim:
    raw = wf.data.get("concurrency")
    group = raw.get("group") if isinstance(raw, dict) else raw
    cancels = isinstance(raw, dict) and raw.get("cancel-in-progress") is True
    key = "concurrency.cancel-in-progress" if cancels else "concurrency"
    # Cancelling a run in progress could stop a promote between the swap and its rollback.
    seen = (f"group is {group!r}" if group != c.concurrency_group
            else "cancel-in-progress is true")
    return wf.claim(f"{prefix}.concurrency", key,
                    f"workflow concurrency group is `{c.concurrency_group}` and never cancels a "
                    "run in progress", group == c.concurrency_group and not cancels, seen)


def _push_to_main(wf: Workflow, c: Contract) -> Claim:
    push = wf.triggers.get("push", False)
    branches = push.get("branches") if isinstance(push, dict) else None
    runs = push is not False and (branches is None or c.main_branch in branches)
    return wf.claim("ci.push-to-main", "on.push", f"CI runs on a push to `{c.main_branch}`", runs,
                    "no push trigger" if push is False else f"push branches are {branches!r}")


def _if_is_main_only(value: Any, branch: str) -> bool:
    if value is None:
        return False
    expr = strip_expression(value)
    wanted = re.compile(rf"github\.ref\s*==\s*'refs/heads/{re.escape(branch)}'")
    # An `||` could let another ref through; a plain `&&` chain only narrows it.
    return bool(wanted.search(expr)) and "||" not in expr and "!=" not in expr


def _triggers_main_only(wf: Workflow, c: Contract) -> bool:
    push = wf.triggers.get("push")
    branches = push.get("branches") if isinstance(push, dict) else None
    return set(wf.triggers) == {"push"} and branches == [c.main_branch]
