"""Classification rules, one SQL text at a time: pure, no database."""

from __future__ import annotations

import pytest

from harness.io.db.schema import Change
from harness.migrations.rules import RULES, Category, classify, fold_catalog
from harness.migrations.statements import parse_sql


def rules_of(sql: str) -> list[tuple[str, int | None, str]]:
    result = classify("20260101000000", "m", "m.sql", parse_sql(sql).statements)
    return [(f.rule, f.line, f.obj) for f in result.findings]


def category_of(sql: str) -> Category:
    return classify("20260101000000", "m", "m.sql", parse_sql(sql).statements).category


@pytest.mark.parametrize(("sql", "expected"), [
    ("DROP TABLE users;", [("drop-table", 1, "users")]),
    ("DROP TABLE IF EXISTS public.users, audit CASCADE;",
     [("drop-table", 1, "users"), ("drop-table", 1, "audit")]),
    ("DROP SCHEMA legacy CASCADE;", [("drop-schema", 1, "legacy")]),
    ("DROP VIEW IF EXISTS v_users;", [("drop-view", 1, "v_users")]),
    ("ALTER TABLE users DROP COLUMN email;", [("drop-column", 1, "users.email")]),
    ("ALTER TABLE users DROP IF EXISTS email;", [("drop-column", 1, "users.email")]),
    ("ALTER TABLE users RENAME TO people;", [("rename-table", 1, "users")]),
    ("ALTER TABLE users SET SCHEMA archive;", [("rename-table", 1, "users")]),
    ("ALTER TABLE users RENAME COLUMN email TO mail;", [("rename-column", 1, "users.email")]),
    ("ALTER TABLE users RENAME email TO mail;", [("rename-column", 1, "users.email")]),
    ("ALTER TABLE users ALTER COLUMN id TYPE bigint;", [("change-column-type", 1, "users.id")]),
    ("ALTER TABLE users ALTER id SET DATA TYPE bigint;",
     [("change-column-type", 1, "users.id")]),
    ("ALTER TABLE users ALTER COLUMN email SET NOT NULL;", [("set-not-null", 1, "users.email")]),
    ("ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
     [("drop-not-null", 1, "users.email")]),
    ("ALTER TABLE users ADD COLUMN tenant int NOT NULL;",
     [("add-required-column", 1, "users.tenant")]),
    ("CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);",
     [("unique-on-existing-columns", 1, "users")]),
    ("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
     [("unique-on-existing-columns", 1, "users")]),
    ("CREATE INDEX users_email ON users (email);",
     [("create-index-not-concurrently", 1, "users")]),
    ("DROP INDEX users_email;", [("drop-index-not-concurrently", 1, "users_email")]),
    ("DELETE FROM settings;", [("delete-without-where", 1, "settings")]),
    ("UPDATE users SET active = true;", [("update-without-where", 1, "users")]),
    ("TRUNCATE TABLE sessions;", [("truncate", 1, "sessions")]),
    ("ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (uid) REFERENCES users (id);",
     [("add-foreign-key-validated", 1, "posts")]),
    ("ALTER TABLE posts ADD CONSTRAINT ck CHECK (n > 0);", [("add-check-validated", 1, "posts")]),
    ("DO $$ BEGIN ALTER TABLE t ALTER COLUMN c TYPE bigint; END $$;", [("do-block", 1, "")]),
])
def test_each_rule_fires_with_its_line_and_object(sql: str,
                                                  expected: list[tuple[str, int, str]]) -> None:
    assert rules_of(sql) == expected


@pytest.mark.parametrize("sql", [
    "CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);",
    "ALTER TABLE users ADD COLUMN nickname text;",
    "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;",
    "CREATE INDEX CONCURRENTLY users_email ON users (email);",
    "DROP INDEX CONCURRENTLY IF EXISTS users_email;",
    "DELETE FROM settings WHERE key = 'ai_provider';",
    "UPDATE users SET active = true WHERE id IN (SELECT id FROM admins);",
    "ALTER TABLE users DROP CONSTRAINT users_email_key;",
    "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x';",
    "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (uid) REFERENCES users (id) NOT VALID;",
    "INSERT INTO settings (key, value) VALUES ('a', 'DROP TABLE users;');",
])
def test_backward_compatible_statements_fire_nothing(sql: str) -> None:
    assert rules_of(sql) == []
    assert category_of(sql) is Category.COMPATIBLE


def test_several_sub_commands_in_one_alter_each_fire() -> None:
    sql = ("ALTER TABLE users\n  ADD COLUMN note text,\n  DROP COLUMN legacy,\n"
           "  ALTER COLUMN id TYPE bigint USING id::bigint,\n  ALTER COLUMN email SET NOT NULL;")
    assert rules_of(sql) == [("drop-column", 1, "users.legacy"),
                             ("change-column-type", 1, "users.id"),
                             ("set-not-null", 1, "users.email")]


def test_commas_inside_parentheses_do_not_split_an_alter() -> None:
    sql = "ALTER TABLE t ADD CONSTRAINT ck CHECK (a IN (1, 2)) NOT VALID, DROP COLUMN b;"
    assert rules_of(sql) == [("drop-column", 1, "t.b")]


def test_keyword_and_quoted_column_names() -> None:
    sql = ('ALTER TABLE "Order" DROP COLUMN "user", DROP COLUMN type;\n'
           "ALTER TABLE public.events ALTER COLUMN timestamp TYPE timestamptz;")
    assert rules_of(sql) == [("drop-column", 1, "Order.user"), ("drop-column", 1, "Order.type"),
                             ("change-column-type", 2, "events.timestamp")]


def test_dollar_quoted_function_bodies_are_not_executed_statements() -> None:
    sql = ("CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $body$\n"
           "BEGIN\n  DROP TABLE users;\n  DELETE FROM sessions;\nEND;\n$body$;\n"
           "SELECT 'TRUNCATE x; DROP TABLE y;';")
    assert rules_of(sql) == []


def test_a_wrapping_begin_commit_is_a_note_not_a_verdict() -> None:
    sql = "BEGIN;\nALTER TABLE users ADD COLUMN note text;\nCOMMIT;\n"
    assert rules_of(sql) == [("transaction-control", 1, "")]
    assert category_of(sql) is Category.COMPATIBLE


def test_lines_count_comments_and_blank_lines() -> None:
    sql = "-- a comment\n\n/* block\n comment */\nCREATE TABLE t (id int);\n\nDROP TABLE users;\n"
    assert rules_of(sql) == [("drop-table", 7, "users")]


def test_statements_on_a_table_created_in_the_same_file_are_safe() -> None:
    sql = ("CREATE TABLE IF NOT EXISTS audit (id int, who text);\n"
           "CREATE UNIQUE INDEX audit_id ON audit (id);\n"
           "ALTER TABLE audit ALTER COLUMN who SET NOT NULL;\n")
    assert rules_of(sql) == []


def test_the_verdict_is_the_worst_finding() -> None:
    assert category_of("CREATE INDEX i ON users (email);") is Category.RISKY
    assert category_of("CREATE INDEX i ON users (email);\nDROP TABLE x;") is Category.BREAKING


def test_catalog_changes_fold_into_the_verdict_and_point_at_the_do_block() -> None:
    statements = parse_sql("SELECT 1;\nDO $$ BEGIN EXECUTE 'ALTER TABLE t ALTER c TYPE text'; "
                           "END $$;").statements
    static = classify("1", "m", "m.sql", statements)
    assert static.category is Category.RISKY
    folded = fold_catalog(static, [Change("column-type-changed", "public.t.c", "integer -> text")],
                          statements)
    assert folded.category is Category.BREAKING
    catalog = [f for f in folded.findings if f.source == "catalog"]
    assert [(f.rule, f.line, f.obj) for f in catalog] == [("change-column-type", 2, "t.c")]


def test_catalog_changes_already_explained_by_the_text_are_not_repeated() -> None:
    statements = parse_sql("ALTER TABLE t RENAME COLUMN a TO b;").statements
    static = classify("1", "m", "m.sql", statements)
    folded = fold_catalog(static, [Change("column-dropped", "public.t.a", "gone")], statements)
    assert folded.findings == static.findings


def test_every_rule_has_a_category_and_a_one_line_reason() -> None:
    for rule in RULES.values():
        assert rule.reason and "\n" not in rule.reason and rule.category in Category


def test_lower_case_sql_and_comments_inside_a_statement() -> None:
    sql = ("alter table only public.users -- the old flag\n"
           "  drop column /* unused since 2025 */ legacy_flag cascade;\n"
           "create unique index concurrently if not exists u on users (email);\n")
    assert rules_of(sql) == [("drop-column", 1, "users.legacy_flag"),
                             ("unique-on-existing-columns", 3, "users")]
