"""Run an example workflow job's harness steps as GitHub Actions would, in the sim: each
`run:` step holding a `harness` command runs in bash (`-e`, and `-o pipefail` for an
explicit `shell: bash`) in a workspace folder, with the workflow's, job's and step's `env:`,
and its own fresh `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY` files, as the runner gives each
step. Every `${{ expression }}` must be one the test gives a value for (an unknown one is an
error naming it, never a silent empty string).

The one stand-in: `harness` on PATH is the real CLI with `--backend aws` turned into
`--backend sim` and `--topology FILE` left out (the sim runs the bundled topology); every
other argument reaches the real parser and command as the workflow wrote it."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from actions_support import parse_outputs

ROOT = Path(__file__).resolve().parents[1]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STEP_OUTPUT = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")

_SHIM = """#!{python}
import sys
sys.path.insert(0, {root!r})
from harness.cli.main import main

args, words = [], iter(sys.argv[1:])
for word in words:
    if word == "--topology":
        next(words, None)
        continue
    args.append(word)
    if word == "--backend":
        value = next(words, "")
        args.append("sim" if value == "aws" else value)
sys.exit(main(args))
"""


@dataclass
class StepRun:
    step_id: str | None
    name: str
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


@dataclass
class JobRun:
    job: dict[str, Any]
    steps: list[StepRun] = field(default_factory=list)

    def step(self, step_id: str) -> StepRun:
        return next(s for s in self.steps if s.step_id == step_id)


def expand(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression not in values:
            raise AssertionError(f"the test gives no value for ${{{{ {expression} }}}}")
        return values[expression]
    return EXPRESSION.sub(one, text)


def _env(scope: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    return {str(k): expand(str(v), values) for k, v in (scope.get("env") or {}).items()}


def harness_shim(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "harness"
    shim.write_text(_SHIM.format(python=sys.executable, root=str(ROOT)))
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return folder


def run_job(workflow: Path, job_name: str, values: dict[str, str], workspace: Path) -> JobRun:
    """Run ``job_name``'s steps that call `harness`, in order, as the runner would (a failed
    step does not stop the later ones here: the test looks at each)."""
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    job = data["jobs"][job_name]
    bin_dir = harness_shim(workspace.parent / "bin")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "HARNESS_"))}
    base |= {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_ACTIONS": "true",
             "GITHUB_WORKSPACE": str(workspace), "PYTHONPATH": str(ROOT)}
    base |= _env(data, values) | _env(job, values)
    workspace.mkdir(parents=True, exist_ok=True)
    result = JobRun(job)
    for index, step in enumerate(job.get("steps") or []):
        run = step.get("run")
        if not isinstance(run, str) or not re.search(r"(^|[\s;&|(])harness\s", run):
            continue
        files = workspace.parent / f"step-{job_name}-{index}"
        files.mkdir()
        output, summary = files / "output", files / "summary.md"
        env = base | _env(step, values) | {"GITHUB_OUTPUT": str(output),
                                           "GITHUB_STEP_SUMMARY": str(summary)}
        shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail"] \
            if step.get("shell") == "bash" else ["bash", "-e"]
        script = files / "script.sh"
        script.write_text(expand(run, values))
        done = subprocess.run([*shell, str(script)], cwd=workspace, env=env, text=True,
                              capture_output=True, timeout=600)
        result.steps.append(StepRun(
            step.get("id"), str(step.get("name", index)), done.returncode, done.stdout,
            done.stderr, parse_outputs(output.read_text()) if output.exists() else {},
            summary.read_text() if summary.exists() else ""))
    return result


def step_outputs_read(job: dict[str, Any]) -> set[tuple[str, str]]:
    """Every ``steps.<id>.outputs.<name>`` a job's later steps or its `outputs:` read."""
    return set(STEP_OUTPUT.findall(yaml.safe_dump(job)))
