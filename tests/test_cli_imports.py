"""Each command imports only what it uses: `harness --help` no command at all, the commands
that read files (topology, workflows, history, report) none of pytest, boto3, moto or the
sim, and no database driver or template engine where they do not need them (lint and schema
diff: tests/test_cli_light_paths.py); building a command's parser (its --help, and
`workflows check`, which builds them all) none of those. Checked through the real entry
point in a fresh interpreter: sys.modules after the command ran."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
# What only the commands that run a world (drill, gate, promote, rollback, cleanup) load.
WORLD = ("pytest", "_pytest", "pytest_bdd", "boto3", "botocore", "moto",
         "harness.backend.sim", "harness.backend.aws", "harness.backend.registry",
         "harness.world", "harness.pytest", "harness.io.aws")
# What no command's parser loads, though `workflows check` builds all of them: each command
# imports its world, database driver, schema validator, templates and SQL parser in its
# handler (the registry only names the backends: it is light).
NOT_IN_PARSERS = (*(m for m in WORLD if m != "harness.backend.registry"), "harness.backend.base",
                  "harness.io", "psycopg", "jinja2", "jsonschema", "pglast")
PROBE = """
import contextlib, io, json, sys
from harness.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:  # --help
        code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded(*argv: str) -> set[str]:
    """The modules a fresh interpreter holds after ``harness ARGV`` (which must exit 0)."""
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, (argv, done.stderr)
    return set(result["modules"])


def under(modules: set[str], *roots: str) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(r + ".") for r in roots))


def third_party(modules: set[str]) -> list[str]:
    """Top-level packages that are neither the standard library, the harness nor the
    interpreter's own start-up hooks."""
    roots = {m.split(".")[0] for m in modules}
    return sorted(r for r in roots if r not in sys.stdlib_module_names
                  and r not in ("harness", "__main__")
                  and not r.startswith(("_distutils_hack", "__editable__", "_virtualenv")))


def test_help_imports_no_command_and_no_third_party_package() -> None:
    modules = loaded("--help")
    assert third_party(modules) == []
    commands = under(modules, "harness.cli")
    assert commands == ["harness.cli", "harness.cli.commands", "harness.cli.exits",
                        "harness.cli.main", "harness.cli.parsing", "harness.cli.terminal"]


@pytest.mark.parametrize("argv", [
    ("topology", "show"),
    ("topology", "check", str(ROOT / "harness" / "topologies" / "runbook.toml")),
    ("history", "--reports", str(FIXTURES / "evidence")),
], ids=["topology show", "topology check", "history"])
def test_file_commands_load_no_world_no_database_driver_no_templates(argv: tuple[str, ...]) -> None:
    modules = loaded(*argv)
    assert under(modules, *WORLD, "psycopg", "jinja2", "jsonschema") == []


def test_report_loads_no_world_and_no_database_driver(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "evidence" / "sim-drill.json", tmp_path / "evidence.json")
    modules = loaded("report", str(tmp_path))
    assert under(modules, *WORLD, "psycopg") == []
    assert (tmp_path / "report.html").is_file()


@pytest.mark.parametrize("command", ["drill", "gate", "promote", "rollback", "rollback data",
                                     "cleanup"])
def test_a_run_commands_help_loads_no_world(command: str) -> None:
    assert under(loaded(*command.split(), "--help"), *NOT_IN_PARSERS) == []


def test_workflows_check_loads_no_world_no_database_driver_no_templates() -> None:
    # It parses workflow lines with the complete parser, so every command module is imported.
    modules = loaded("workflows", "check", str(ROOT / "examples" / "workflows"))
    assert under(modules, *NOT_IN_PARSERS) == []
