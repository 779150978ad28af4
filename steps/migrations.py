"""Steps for features/migrations: pairing, classification, bookkeeping and the round trip."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from pytest_bdd import given, parsers, then, when

from harness.evidence.journal import CheckRecord
from harness.io.db.dump import dump_schema
from harness.io.db.providers import PostgresServer, open_postgres
from harness.io.db.schema import Schema, Verdict, compare
from harness.migrations.discovery import Migration, load
from harness.migrations.lint import LintReport, lint
from harness.migrations.roundtrip import RoundTrip, roundtrip_migration
from harness.migrations.rules import Classification
from harness.migrations.runner import MigrationFailed, applied_versions, apply_down, apply_up

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "migrations"
STEM = "20260601000000_change"


@dataclass(frozen=True)
class ScratchDatabase:
    """A throwaway database and its schema as the scenario set it up."""

    dsn: str
    before: Schema


@pytest.fixture(scope="session")
def scratch_postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL for scratch databases, whatever the backend (started once)."""
    with open_postgres() as server:
        yield server


def only_migration(directory: Path) -> Migration:
    (migration,) = load(directory).migrations
    return migration


# --- given ----------------------------------------------------------------------------------

@given(parsers.parse('the sample migration directory "{name}"'), target_fixture="migration_dir")
def sample_directory(name: str, tmp_path: Path) -> Path:
    directory = tmp_path / name
    directory.mkdir()
    for path in (SAMPLES / name).iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    return directory


@given("a migration directory", target_fixture="migration_dir")
def empty_directory(tmp_path: Path) -> Path:
    (tmp_path / "migrations").mkdir()
    return tmp_path / "migrations"


@given(parsers.parse('the file "{name}" holding:'), target_fixture="migration_dir")
def file_holding(migration_dir: Path, name: str, docstring: str) -> Path:
    (migration_dir / name).write_text(docstring + "\n")
    return migration_dir


@given(parsers.parse('a forward migration holding "{statement}"'), target_fixture="migration_dir")
def forward_holding(tmp_path: Path, statement: str) -> Path:
    (tmp_path / f"{STEM}.sql").write_text(statement + "\n")
    (tmp_path / f"{STEM}.down.sql").write_text("SELECT 1;\n")
    return tmp_path


@given("a scratch database holding:", target_fixture="scratch")
def scratch_database(scratch_postgres: PostgresServer, request: pytest.FixtureRequest,
                     docstring: str) -> ScratchDatabase:
    name = f"scenario_{uuid.uuid4().hex[:10]}"
    dsn = scratch_postgres.create_database(name, template="template0")
    request.addfinalizer(lambda: scratch_postgres.drop_database(name))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(docstring.encode())
    return ScratchDatabase(dsn, dump_schema(dsn, scratch_postgres.pg_dump()).schema)


@given("a migration whose forward file is:", target_fixture="migration_dir")
def forward_file(tmp_path: Path, docstring: str) -> Path:
    (tmp_path / f"{STEM}.sql").write_text(docstring + "\n")
    return tmp_path


@given("whose down file is:", target_fixture="migration_dir")
def down_file(migration_dir: Path, docstring: str) -> Path:
    (migration_dir / f"{STEM}.down.sql").write_text(docstring + "\n")
    return migration_dir


# --- when -----------------------------------------------------------------------------------

@when("the migrations are linted", target_fixture="lint_report")
def migrations_linted(migration_dir: Path, check: CheckRecord) -> LintReport:
    report = lint(migration_dir)
    check.note(f"{len(report.classifications)} migration(s), "
               f"{len(report.migrations.problems)} problem(s)")
    return report


@when("it is classified", target_fixture="classification")
def it_is_classified(migration_dir: Path) -> Classification:
    return lint(migration_dir).classifications[0]


@when("the migration is applied", target_fixture="failure")
def migration_applied(scratch: ScratchDatabase, migration_dir: Path) -> MigrationFailed | None:
    try:
        apply_up(scratch.dsn, only_migration(migration_dir))
    except MigrationFailed as exc:
        return exc
    return None


@when("its down is run")
def down_run(scratch: ScratchDatabase, migration_dir: Path) -> None:
    apply_down(scratch.dsn, only_migration(migration_dir))


@when("the migration is round-tripped", target_fixture="roundtrip")
def round_tripped(scratch: ScratchDatabase, migration_dir: Path,
                  scratch_postgres: PostgresServer, check: CheckRecord) -> RoundTrip:
    result = roundtrip_migration(scratch.dsn, only_migration(migration_dir),
                                 scratch_postgres.pg_dump())
    check.note(f"round trip {result.status}: " + "; ".join(result.failures + result.notes))
    return result


# --- then -----------------------------------------------------------------------------------

@then(parsers.parse("the lint passes with {count:d} migration"))
@then(parsers.parse("the lint passes with {count:d} migrations"))
def lint_passes(lint_report: LintReport, count: int) -> None:
    assert lint_report.ok, [p.render() for p in lint_report.migrations.problems]
    assert len(lint_report.classifications) == count


@then(parsers.parse('the lint fails naming "{where}" with "{text}"'))
def lint_fails(lint_report: LintReport, where: str, text: str) -> None:
    rendered = [p.render() for p in lint_report.migrations.problems]
    assert any(f"/{where}: " in r and text in r for r in rendered), rendered


@then(parsers.parse('migration "{version}" is irreversible because "{reason}"'))
def is_irreversible(migration_dir: Path, version: str, reason: str) -> None:
    migration = next(m for m in load(migration_dir).migrations if m.version == version)
    assert migration.irreversible is not None and migration.irreversible.reason == reason


@then(parsers.parse('it is "{category}" because of rule "{rule}" at line {line:d}'))
def classified_by_rule(classification: Classification, category: str, rule: str,
                       line: int) -> None:
    fired = [(f.rule, f.line) for f in classification.findings]
    assert classification.category.value == category and (rule, line) in fired, fired


@then(parsers.parse('it is "{category}" with no rule fired'))
def classified_clean(classification: Classification, category: str) -> None:
    assert classification.category.value == category and not classification.findings, (
        classification.findings)


@then(parsers.parse('it is "{category}" because of rule "{rule}" found by the catalog diff'))
def classified_by_catalog(roundtrip: RoundTrip, category: str, rule: str) -> None:
    catalog = [f.rule for f in roundtrip.classification.findings if f.source == "catalog"]
    assert roundtrip.classification.category.value == category and rule in catalog, catalog


@then("_migrations lists the migration")
def listed(scratch: ScratchDatabase, migration_dir: Path) -> None:
    assert only_migration(migration_dir).version in applied_versions(scratch.dsn)


@then("_migrations does not list the migration")
def not_listed(scratch: ScratchDatabase, migration_dir: Path) -> None:
    assert only_migration(migration_dir).version not in applied_versions(scratch.dsn)


@then("the schema is as it was before the migration")
def schema_as_before(scratch: ScratchDatabase, scratch_postgres: PostgresServer) -> None:
    now = dump_schema(scratch.dsn, scratch_postgres.pg_dump()).schema
    result = compare(scratch.before, now, left_label="before", right_label="now")
    assert result.verdict is Verdict.IDENTICAL, result.diff


@then(parsers.parse("it fails naming line {line:d} of the forward file"))
def fails_at_line(failure: MigrationFailed | None, migration_dir: Path, line: int) -> None:
    assert failure is not None, "the migration was applied without an error"
    assert failure.where == f"{only_migration(migration_dir).forward.path}:{line}", failure.where


@given("the users table holds a duplicated email")
def duplicated_email(scratch: ScratchDatabase) -> None:
    with psycopg.connect(scratch.dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO users SELECT id + 1, email, created_at FROM users")


@then(parsers.parse('the failure names the duplicated key "{key}"'))
def names_duplicated_key(failure: MigrationFailed | None, key: str) -> None:
    assert failure is not None and f"Key {key} is duplicated" in failure.what, failure


@then("no INVALID index is left in pg_index")
def no_invalid_index(scratch: ScratchDatabase, failure: MigrationFailed | None) -> None:
    with psycopg.connect(scratch.dsn) as conn:
        left = conn.execute("SELECT indexrelid::regclass::text FROM pg_index "
                            "WHERE NOT indisvalid").fetchall()
    assert left == [], left
    assert failure is not None and "was dropped" in failure.what, failure


@then(parsers.parse('table "{table}" still holds {count:d} row'))
@then(parsers.parse('table "{table}" still holds {count:d} rows'))
def rows_kept(scratch: ScratchDatabase, table: str, count: int) -> None:
    with psycopg.connect(scratch.dsn) as conn:
        found = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        assert found.fetchone() == (count,)


@then("the round trip passes")
def roundtrip_passes(roundtrip: RoundTrip) -> None:
    assert roundtrip.ok, roundtrip.failures


@then(parsers.parse('the round trip fails with "{text}"'))
def roundtrip_fails(roundtrip: RoundTrip, text: str) -> None:
    assert not roundtrip.ok and any(text in f for f in roundtrip.failures), roundtrip.failures


@then(parsers.parse('the schema after the down is "{verdict}" to the schema before the migration'))
def down_verdict(roundtrip: RoundTrip, verdict: str, check: CheckRecord) -> None:
    assert roundtrip.down_vs_before is not None, "the down was not run"
    if roundtrip.down_vs_before.diff:
        check.attach("schema before vs after down", "diff", roundtrip.down_vs_before.diff)
    assert roundtrip.down_vs_before.verdict.value == verdict, roundtrip.down_vs_before.diff


@then("applying it again gives the same schema as the first time")
def reapply_identical(roundtrip: RoundTrip) -> None:
    assert roundtrip.reapply_vs_up is not None
    assert roundtrip.reapply_vs_up.verdict is Verdict.IDENTICAL, roundtrip.reapply_vs_up.diff


@then(parsers.parse('the round trip notes that the column order differs in "{table}"'))
def notes_column_order(roundtrip: RoundTrip, table: str) -> None:
    assert any("column order" in n and table in n for n in roundtrip.notes), roundtrip.notes
