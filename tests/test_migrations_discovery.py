"""Pairing forward and down files, and every problem a directory can have."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.migrations.discovery import MigrationPattern, discover, load
from harness.topology import MigrationsConfig

Write = Callable[[dict[str, str]], Path]
UP = "CREATE TABLE t (id int);\n"
DOWN = "DROP TABLE t;\n"


def codes(directory: Path, pattern: MigrationPattern | None = None) -> list[tuple[str, str, int | None]]:
    return [(p.code, p.path.name, p.line) for p in discover(directory, pattern).problems]


def test_a_clean_directory_pairs_in_version_order(write_migrations: Write) -> None:
    d = write_migrations({
        "20260529003733_remove_ai_provider.sql": "DELETE FROM settings WHERE key = 'x';",
        "20260529003733_remove_ai_provider.down.sql": "INSERT INTO settings VALUES ('x');",
        "20260101000000_create_t.sql": UP, "20260101000000_create_t.down.sql": DOWN,
        "README.md": "not sql",
    })
    found = discover(d)
    assert found.ok and found.problems == ()
    assert [m.version for m in found.migrations] == ["20260101000000", "20260529003733"]
    assert found.migrations[0].down is not None and found.migrations[0].reversible


def test_forward_without_down(write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": UP})
    assert codes(d) == [("missing-down", "20260101000000_a.sql", None)]
    assert "20260101000000_a.down.sql" in discover(d).problems[0].message


def test_down_without_forward(write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.down.sql": DOWN})
    assert codes(d) == [("orphan-down", "20260101000000_a.down.sql", None)]


@pytest.mark.parametrize("down", ["", "\n\n", "-- nothing to undo\n/* really */\n"])
def test_empty_or_comment_only_down(write_migrations: Write, down: str) -> None:
    d = write_migrations({"20260101000000_a.sql": UP, "20260101000000_a.down.sql": down})
    assert codes(d) == [("empty-down", "20260101000000_a.down.sql", None)]


def test_comment_only_down_marked_irreversible_passes(write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": "DROP TABLE legacy;",
                          "20260101000000_a.down.sql":
                              "-- Data is gone for good.\n"
                              "-- harness:irreversible: legacy rows are not kept anywhere\n"})
    found = discover(d)
    assert found.ok
    m = found.migrations[0]
    assert not m.reversible and m.irreversible is not None
    assert (m.irreversible.line, m.irreversible.reason) == (2, "legacy rows are not kept anywhere")


def test_irreversible_marker_needs_a_reason_and_no_sql(write_migrations: Write) -> None:
    d = write_migrations({
        "20260101000000_a.sql": UP, "20260101000000_a.down.sql": "-- harness:irreversible\n",
        "20260102000000_b.sql": UP,
        "20260102000000_b.down.sql": "-- harness:irreversible: why\nDROP TABLE t;\n",
    })
    assert codes(d) == [("irreversible-without-reason", "20260101000000_a.down.sql", 1),
                        ("irreversible-with-sql", "20260102000000_b.down.sql", 1)]


def test_duplicate_timestamps_name_both_files(write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": UP, "20260101000000_a.down.sql": DOWN,
                          "20260101000000_b.sql": UP, "20260101000000_b.down.sql": DOWN})
    problems = discover(d).problems
    assert [p.code for p in problems] == ["duplicate-version", "duplicate-version"]
    assert "20260101000000_a.sql, 20260101000000_b.sql" in problems[0].message


def test_files_postgresql_cannot_parse_name_the_line(write_migrations: Write) -> None:
    d = write_migrations({
        "20260101000000_a.sql": "CREATE TABLE t (id int);\nSELECT 'unterminated;\n",
        "20260101000000_a.down.sql": DOWN,
        "20260102000000_b.sql": UP,
        "20260102000000_b.down.sql": "DROP TABLE t;\nCREATE FUNCTION f() AS $$ begin\n",
        "20260103000000_c.sql": "-- only a comment\n", "20260103000000_c.down.sql": DOWN,
    })
    assert codes(d) == [("syntax-error", "20260101000000_a.sql", 2),
                        ("syntax-error", "20260102000000_b.down.sql", 2),
                        ("empty-forward", "20260103000000_c.sql", None)]


def test_a_file_matching_no_pattern(write_migrations: Write) -> None:
    d = write_migrations({"2026_a.sql": UP})
    assert codes(d) == [("bad-name", "2026_a.sql", None)]


def test_transaction_control_inside_a_file(write_migrations: Write) -> None:
    d = write_migrations({
        "20260101000000_a.sql": "BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n",
        "20260101000000_a.down.sql": "DROP TABLE t;\nCOMMIT;\nDROP TABLE u;\n",
    })
    assert codes(d) == [("transaction-control", "20260101000000_a.down.sql", 2)]


def test_concurrently_must_be_alone_in_its_file(write_migrations: Write) -> None:
    d = write_migrations({
        "20260101000000_a.sql": "CREATE TABLE t (id int);\n"
                                "CREATE INDEX CONCURRENTLY i ON t (id);\n",
        "20260101000000_a.down.sql": DOWN,
    })
    assert codes(d) == [("non-transactional-mixed", "20260101000000_a.sql", 2)]


def test_every_problem_is_reported_in_one_run_and_load_refuses(write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": UP, "20260102000000_b.down.sql": DOWN,
                          "junk.sql": UP})
    assert len(discover(d).problems) == 3
    with pytest.raises(ConfigError) as err:
        load(d)
    message = str(err.value)
    assert "3 problem(s)" in message and "junk.sql" in message and "fix:" in message


def test_the_pattern_is_configurable(write_migrations: Write) -> None:
    d = write_migrations({"V1__init.sql": UP, "V1__init.undo.sql": DOWN})
    pattern = MigrationPattern(forward_pattern=r"^V(?P<version>\d+)__\w+\.sql$",
                               down_suffix=".undo.sql")
    found = discover(d, pattern)
    assert found.ok and [m.version for m in found.migrations] == ["1"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"forward_pattern": r"^(\d+"}, "not a valid regex"),
    ({"forward_pattern": r"^\d+_.*\.sql$"}, "no (?P<version>...) group"),
    ({"down_suffix": ".down"}, "must end in .sql"),
])
def test_a_bad_pattern_is_a_config_error(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?").replace(".", r"\.")):
        MigrationPattern(**kwargs)


def test_a_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        discover(tmp_path / "nope")


def test_the_topology_section_sets_the_pattern(write_migrations: Write) -> None:
    d = write_migrations({"20260101000000_a.sql": UP, "20260101000000_a.undo.sql": DOWN})
    config = MigrationsConfig(down_suffix=".undo.sql")  # its default names the group timestamp
    found = discover(d, MigrationPattern.from_config(config))
    assert found.ok and [m.version for m in found.migrations] == ["20260101000000"]
