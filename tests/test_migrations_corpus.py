"""The labelled corpus (tests/fixtures/migrations/corpus.yaml): every pair is linted and must
get its label and exactly its rules; every runnable pair is then run on a real PostgreSQL:
the round trip passes (with the label the database's facts give), or the up fails with the
expected message, or lint refuses the file with the expected problem at line:column."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from harness.io.db.providers import PostgresServer
from harness.migrations.discovery import discover
from harness.migrations.facts import read_facts
from harness.migrations.lint import lint
from harness.migrations.roundtrip import roundtrip_migration
from harness.migrations.rules import RULES, classify
from harness.migrations.runner import MigrationFailed, apply_up

CORPUS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "migrations" / "corpus.yaml").read_text())
STEM = "20260601000000_change"
LINTED = [e for e in CORPUS if e["run"] != "problem"]
RUNNABLE = [e for e in CORPUS if e["run"] in {"roundtrip", "fails"}]
REFUSED = [e for e in CORPUS if e["run"] == "problem"]


def write_pair(directory: Path, entry: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{STEM}.sql").write_text(entry["forward"] + "\n")
    (directory / f"{STEM}.down.sql").write_text(entry["down"] + "\n")
    return directory


def test_the_corpus_is_large_labelled_and_covers_every_rule() -> None:
    assert len(CORPUS) >= 60
    assert len({e["id"] for e in CORPUS}) == len(CORPUS), "duplicate ids"
    for entry in CORPUS:
        assert entry["reason"] and entry["label"], entry["id"]
    fired = {r for e in CORPUS for r in e.get("rules", []) + e.get("roundtrip_rules", [])}
    assert fired == set(RULES), f"rules without a corpus pair: {set(RULES) - fired}"


@pytest.mark.parametrize("entry", LINTED, ids=[e["id"] for e in LINTED])
def test_lint_gives_each_pair_its_label_and_rules(entry: dict[str, Any], tmp_path: Path) -> None:
    report = lint(write_pair(tmp_path / "m", entry))
    assert report.ok, [p.render() for p in report.migrations.problems]
    (result,) = report.classifications
    assert result.category.value == entry["label"], result.findings
    assert Counter(f.rule for f in result.findings) == Counter(entry["rules"])
    for finding in result.findings:
        assert finding.reason == RULES[finding.rule].reason and finding.line


@pytest.mark.parametrize("entry", REFUSED, ids=[e["id"] for e in REFUSED])
def test_lint_refuses_each_bad_file_naming_line_and_column(entry: dict[str, Any],
                                                          tmp_path: Path) -> None:
    report = lint(write_pair(tmp_path / "m", entry))
    found = [(p.code, f"{p.line}:{p.column}", p.message) for p in report.migrations.problems]
    assert any(code == entry["problem"] and where == entry["where"]
               and entry.get("message", "") in message for code, where, message in found), found


@pytest.fixture
def scratch(postgres: PostgresServer) -> Callable[[str], str]:
    made: list[str] = []

    def make(setup: str) -> str:
        name = f"corpus_{uuid.uuid4().hex[:10]}"
        made.append(name)
        dsn = postgres.create_database(name, template="template0")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(setup.encode())
        return dsn

    yield make  # type: ignore[misc]
    for name in made:
        postgres.drop_database(name)


@pytest.mark.parametrize("entry", RUNNABLE, ids=[e["id"] for e in RUNNABLE])
def test_each_runnable_pair_on_real_postgresql(entry: dict[str, Any], tmp_path: Path,
                                               postgres: PostgresServer,
                                               scratch: Callable[[str], str]) -> None:
    dsn = scratch(entry["setup"])
    (migration,) = discover(write_pair(tmp_path / "m", entry)).migrations
    label = entry.get("roundtrip", entry["label"])
    rules = entry.get("roundtrip_rules", entry["rules"])
    if entry["run"] == "fails":
        facts = classify(migration.version, migration.name, migration.forward.path,
                         migration.forward.statements, read_facts(dsn, migration))
        assert facts.category.value == label
        assert Counter(f.rule for f in facts.findings) == Counter(rules)
        with pytest.raises(MigrationFailed) as failed:
            apply_up(dsn, migration)
        assert entry["error"] in failed.value.what, failed.value.what
        return
    result = roundtrip_migration(dsn, migration, postgres.pg_dump())
    assert result.ok, result.failures
    assert result.classification.category.value == label, result.classification.findings
    assert Counter(f.rule for f in result.classification.findings) == Counter(rules)
