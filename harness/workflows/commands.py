"""Every ``harness ...`` command in a workflow's ``run:`` steps, handed to a ``Check`` (the
CLI gives its own parser, see ``harness.cli.workflows``): an unknown flag, a missing required
argument or an unknown command is a broken claim naming the file, job, step and line. Pure
apart from the check it is given.

A job or step disabled with ``if: false`` never runs; its commands are listed, not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml

from harness.workflows.model import Claim, Workflow, is_false
from harness.workflows.shell import Command, Script, dynamic

# The arguments after `harness` -> what is wrong with them (None when they are accepted).
Check = Callable[[tuple[str, ...]], str | None]

# Steps whose `run:` is not a POSIX shell script (their lines are not shell commands).
_NOT_SHELL = ("pwsh", "powershell", "python", "cmd")


def _steps(job: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    steps = job.get("steps")
    if isinstance(steps, list):
        yield from ((i, s) for i, s in enumerate(steps) if isinstance(s, dict))


def _shell(*scopes: Any) -> str:
    """The shell a step runs in: its own `shell:`, else the job's or the workflow's
    `defaults.run.shell`, else GitHub's default (bash)."""
    for scope in reversed(scopes):
        defaults = scope.get("defaults") if isinstance(scope, dict) else None
        run = defaults.get("run") if isinstance(defaults, dict) else None
        shell = scope.get("shell") if isinstance(scope, dict) else None
        shell = shell or (run.get("shell") if isinstance(run, dict) else None)
        if isinstance(shell, str) and shell.strip():
            return shell.split()[0].lower()
    return "bash"


def _node(wf: Workflow, *path: str | int) -> yaml.Node | None:
    node = wf.node
    for key in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value
                         if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                and key < len(node.value):
            node = node.value[key]
        else:
            return None
    return node


def _file_line(node: yaml.Node | None, command: Command, nth: int, source: list[str]) -> int | None:
    """The 1-based file line of ``command`` (the ``nth`` harness command of its script)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.style == "|":  # a literal block keeps the script's lines as they are
        return node.start_mark.line + 2 + command.line
    # Folded or flow scalars join lines: the nth harness command found line by line.
    first, last = node.start_mark.line, node.end_mark.line
    hits = [n for n in range(first, min(last + 1, len(source)))
            for _ in Script.parse(source[n].split(":", 1)[-1] if n == first else source[n])
            .harness_commands()]
    return hits[nth] + 1 if nth < len(hits) else first + 1


def command_claims(wf: Workflow, text: str, check: Check) -> list[Claim]:
    """One claim per ``harness`` command in ``wf``'s runnable ``run:`` steps."""
    source = text.splitlines()
    claims: list[Claim] = []
    for job_name, job in wf.jobs.items():
        skipped = 0
        for index, step in _steps(job):
            run = step.get("run")
            if not isinstance(run, str) or _shell(wf.data, job, step) in _NOT_SHELL:
                continue
            script = Script.parse(run)
            found = script.harness_commands()
            if is_false(job.get("if")) or is_false(step.get("if")):
                skipped += len(found)
                continue
            label = f"jobs.{job_name}.steps[{index}]" + (f" ({step['name']})"
                                                         if step.get("name") else "")
            node = _node(wf, "jobs", job_name, "steps", index, "run")
            for nth, command in enumerate(found):
                error = check(command.arguments)
                written = script.restore(" ".join(command.words))
                claims.append(Claim(
                    id="command.parses", file=wf.file, key=label,
                    statement=f"`{_head(command)}` parses with this harness's CLI",
                    ok=error is None, line=_file_line(node, command, nth, source),
                    seen="" if error is None else f"{script.restore(error)} (in: {written})"))
        if skipped:
            claims.append(Claim(
                id="command.disabled", file=wf.file, key=f"jobs.{job_name}",
                statement=f"{skipped} harness command(s) in disabled steps (`if: false`) are "
                          "not checked until enabled", ok=True, line=wf.line("jobs", job_name)))
    return claims


def _head(command: Command) -> str:
    """``harness`` and its subcommand words, for the claim's statement."""
    words = ["harness"]
    for word in command.arguments:
        if word.startswith("-") or dynamic(word):
            break
        words.append(word)
    return " ".join(words[:3])
