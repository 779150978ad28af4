"""Writes a run's evidence: redact the journal's document, validate it against the packaged
JSON Schema, write ``<reports>/<run-id>/evidence.json`` atomically; read it back validated
(a version-1 file is upgraded on the way in, see ``upgrade``). Renderings are
``harness.report``'s business, never this module's."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from harness.errors import ConfigError, HarnessError
from harness.evidence.journal import SCHEMA_VERSION
from harness.evidence.verdict import document_verdict
from harness.redact import Redactor

# Values the schema constrains (enumerations, ids, timestamps, numbers): never masked, so a
# secret that happens to equal one ("pass", a status) cannot break the document.
_STRUCTURAL_KEYS = frozenset({"schema_version", "run_id", "kind", "started_at", "finished_at",
                              "backend", "simulated", "verdict", "status", "id", "check",
                              "expected_checks", "undo", "met", "completed"})


def load_schema(version: int = SCHEMA_VERSION) -> dict[str, Any]:
    text = resources.files("harness").joinpath(f"schemas/evidence-v{version}.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


class EvidenceInvalid(HarnessError):
    """The journal does not match its schema: a bug in the harness, never the user's input."""


def validate(doc: dict[str, Any], version: int = SCHEMA_VERSION) -> None:
    try:
        jsonschema.validate(doc, load_schema(version))
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise EvidenceInvalid(
            exc.message, where=f"evidence.json at {path}",
            fix="this is a harness bug; report it with the run folder",
        ) from exc


def upgrade(doc: dict[str, Any]) -> dict[str, Any]:
    """A version-1 document as version 2: it declared no expected checks and no stop, and its
    verdict is recomputed by version 2's rules (docs/evidence.md, "From version 1")."""
    if doc.get("schema_version") != 1:
        return doc
    new = {**doc, "schema_version": SCHEMA_VERSION, "expected_checks": len(doc["checks"]),
           "stopped": None}
    new["verdict"] = document_verdict(new)
    return new


def read_evidence(run_dir: Path) -> dict[str, Any]:
    """The run folder's evidence.json, validated (and upgraded from version 1). A missing,
    unreadable, truncated or malformed file is a ConfigError naming it."""
    path = Path(run_dir) / "evidence.json"
    fix = "pass a run folder written by `harness drill`, `gate` or `promote` (evidence.json intact)"
    if not path.is_file():
        raise ConfigError(f"no evidence.json in {run_dir}", where=str(run_dir), fix=fix)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read evidence.json: {exc.strerror}", where=str(path),
                          fix=fix) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"evidence.json is not UTF-8 text (byte {exc.start})", where=str(path),
                          fix=fix) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"evidence.json is not valid JSON: {exc.msg} at line {exc.lineno}, "
                          f"column {exc.colno} (truncated or edited?)", where=str(path),
                          fix=fix) from exc
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if version not in (1, SCHEMA_VERSION):
        raise ConfigError(f"evidence.json has schema_version {version!r}; this harness reads "
                          f"1 and {SCHEMA_VERSION}", where=str(path), fix=fix)
    try:
        validate(doc, version)
    except EvidenceInvalid as exc:
        raise ConfigError(f"evidence.json does not match its schema: {exc.what}",
                          where=f"{path} ({exc.where})", fix=fix) from exc
    upgraded: dict[str, Any] = upgrade(doc)
    return upgraded


def redact_evidence(doc: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """``doc`` with secrets masked in its free text; schema-constrained values untouched."""
    def walk(value: Any, key: str | None, free: bool) -> Any:
        if key in _STRUCTURAL_KEYS and not free:
            return value
        if isinstance(value, str):
            return redactor.text(value)
        if isinstance(value, dict):
            # An attachment's content is free-form data: every string in it is masked.
            return {k: walk(v, k, free or k == "content") for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v, None, free) for v in value]
        return value

    clean: dict[str, Any] = walk(doc, None, False)
    return clean


def write_evidence(doc: dict[str, Any], reports_dir: Path, redactor: Redactor) -> dict[str, Any]:
    """Redact and validate ``doc``, write it as ``<reports_dir>/<run-id>/evidence.json``;
    return the document as written."""
    clean = redact_evidence(doc, redactor)
    validate(clean)
    run_dir = Path(reports_dir) / str(clean["run_id"])
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text(run_dir / "evidence.json", json.dumps(clean, indent=2) + "\n")
    return clean


def point_latest(reports_dir: Path, run_dir: Path) -> None:
    latest = reports_dir / "latest"
    tmp = reports_dir / f".latest-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run_dir.name)
    os.replace(tmp, latest)


def write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
