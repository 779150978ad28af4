"""Writes a run's evidence: redact the journal's document, validate it against the packaged
JSON Schema, write ``<reports>/<run-id>/evidence.json`` atomically; read it back validated.
Renderings are ``harness.report``'s business, never this module's."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from harness.errors import HarnessError
from harness.evidence.journal import SCHEMA_VERSION
from harness.redact import Redactor


def load_schema() -> dict[str, Any]:
    text = resources.files("harness").joinpath(f"schemas/evidence-v{SCHEMA_VERSION}.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


class EvidenceInvalid(HarnessError):
    """The journal does not match its schema: a bug in the harness, never the user's input."""


def validate(doc: dict[str, Any]) -> None:
    try:
        jsonschema.validate(doc, load_schema())
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise EvidenceInvalid(
            exc.message, where=f"evidence.json at {path}",
            fix="this is a harness bug; report it with the run folder",
        ) from exc


def read_evidence(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / "evidence.json"
    if not path.is_file():
        raise HarnessError(f"no evidence.json in {run_dir}",
                           fix="pass a run folder written by `harness drill` or `harness gate`")
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    validate(doc)
    return doc


def write_evidence(doc: dict[str, Any], reports_dir: Path, redactor: Redactor) -> dict[str, Any]:
    """Redact and validate ``doc``, write it as ``<reports_dir>/<run-id>/evidence.json``;
    return the document as written."""
    clean: dict[str, Any] = redactor.data(doc)
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
