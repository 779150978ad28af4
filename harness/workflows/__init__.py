"""GitHub Actions workflows, checked: the contract that makes the promotion gate real
(``contract``) and every ``harness ...`` command in their ``run:`` steps parsed by the real
CLI (``commands``). ``read_dir`` is the only I/O: it reads a folder of workflow files."""

from __future__ import annotations

from pathlib import Path

from harness.errors import ConfigError
from harness.workflows.commands import Check, command_claims
from harness.workflows.contract import (
    Contract,
    check_texts,
    ci_claims,
    promote_claims,
    rollback_claims,
)
from harness.workflows.model import Claim, ContractReport, Workflow

__all__ = ["Check", "Claim", "Contract", "ContractReport", "Workflow", "check_commands",
           "check_texts", "ci_claims", "promote_claims", "read_dir", "rollback_claims"]


def check_commands(texts: dict[str, str], check: Check) -> list[Claim]:
    """The harness-command claims of each workflow given as {file shown: YAML text}."""
    claims: list[Claim] = []
    for shown, text in texts.items():
        try:
            wf = Workflow.parse(text, shown)
        except ConfigError as exc:
            claims.append(Claim(id="file-parses", file=shown, key="(file)",
                                statement="the workflow file is a valid YAML mapping",
                                ok=False, seen=exc.what))
            continue
        claims += command_claims(wf, text, check)
    return claims


def read_dir(directory: str | Path, contract: Contract | None = None,
             check: Check | None = None) -> ContractReport:
    """Check the contract's workflow files in ``directory`` (``.yml`` or ``.yaml``); with
    ``check`` (the CLI's: ``harness.cli.workflows.parser_check``), also every harness command
    in every workflow file there."""
    c = contract or Contract()
    root = Path(directory)
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory",
                          fix="pass the folder holding the workflows, e.g. .github/workflows")
    texts: dict[str, str | None] = {}
    shown: dict[str, str] = {}
    for name in (c.promote_file, c.rollback_file, c.ci_file):
        candidates = [root / name, root / (name.removesuffix(".yml") + ".yaml")]
        found = next((p for p in candidates if p.is_file()), None)
        texts[name] = _read(found) if found else None
        shown[name] = str(found or candidates[0])
    report = check_texts(texts, c, str(root), shown)
    if check is None:
        return report
    files = sorted(p for p in root.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    commands = check_commands({str(p): _read(p) for p in files}, check)
    return ContractReport(report.directory, report.claims + tuple(commands))


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the workflow file: {exc.strerror}", where=str(path),
                          fix="check the file exists and is readable") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the workflow file is not UTF-8 text (byte {exc.start})",
                          where=str(path), fix="save it as UTF-8 (GitHub reads workflows as "
                                               "UTF-8)") from exc
