"""What the rules know beyond one file: the built-in volatility table agrees with a real
server's pg_proc, a directory's earlier files tell later ones which tables are partitioned,
and how a file must run depends on the server (ADD VALUE before PostgreSQL 12)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg

from harness.io.db.providers import PostgresServer
from harness.migrations import txmode
from harness.migrations.lint import lint
from harness.migrations.statements import parse_sql
from harness.migrations.volatility import BUILTIN, Facts, most_volatile

Write = Callable[[dict[str, str]], Path]


def test_the_builtin_volatility_table_matches_pg_proc(postgres: PostgresServer) -> None:
    with psycopg.connect(postgres.dsn("postgres")) as conn:
        rows = conn.execute("SELECT proname, array_agg(DISTINCT provolatile::text) FROM pg_proc "
                            "WHERE proname = ANY(%s) GROUP BY proname",
                            (list(BUILTIN),)).fetchall()
    found = {str(name): set(kinds) for name, kinds in rows}
    for name, volatility in BUILTIN.items():
        if name not in found:  # newer than this server (e.g. random_normal before 16)
            continue
        assert most_volatile(sorted(found[name])) == volatility, (name, found[name])


def test_facts_from_a_database_win_over_the_builtin_table() -> None:
    assert Facts().volatility_of("now") == "s"
    assert Facts().volatility_of("my_fn") is None
    assert Facts({"now": "v", "my_fn": "i"}).volatility_of("NOW") == "v"
    assert Facts({"my_fn": "i"}).volatility_of("my_fn") == "i"


def test_a_partitioned_table_created_by_an_earlier_file_is_known_to_later_ones(
        write_migrations: Write) -> None:
    d = write_migrations({
        "20260101000000_events.sql": "CREATE TABLE events (id int, at date) "
                                     "PARTITION BY RANGE (at);\n",
        "20260101000000_events.down.sql": "DROP TABLE events;\n",
        "20260102000000_idx.sql": "CREATE INDEX CONCURRENTLY events_at ON events (at);\n",
        "20260102000000_idx.down.sql": "DROP INDEX CONCURRENTLY events_at;\n",
    })
    first, second = lint(d).classifications
    assert not first.findings
    assert [(f.rule, f.line) for f in second.findings] == [
        ("concurrent-index-on-partitioned-table", 1)]


def test_add_value_runs_outside_a_transaction_only_before_postgresql_12() -> None:
    statements = parse_sql("ALTER TYPE mood ADD VALUE 'happy';").statements
    assert txmode.plan(statements, 16).autocommit is False
    assert txmode.plan(statements, 11).autocommit is True
    mixed = parse_sql("ALTER TYPE mood ADD VALUE 'happy';\nCREATE TABLE t (m mood);").statements
    assert list(txmode.problems(mixed, 16)) == []
    assert [p.code for p in txmode.problems(mixed, 11)] == ["non-transactional-mixed"]


def test_set_after_the_non_transactional_statement_or_set_local_beside_it_is_refused() -> None:
    local = parse_sql("SET LOCAL lock_timeout = '1s';\n"
                      "CREATE INDEX CONCURRENTLY i ON t (c);").statements
    assert [p.code for p in txmode.problems(local)] == ["set-local-outside-transaction"]
    two = parse_sql("CREATE INDEX CONCURRENTLY i ON t (c);\n"
                    "CREATE INDEX CONCURRENTLY j ON t (d);").statements
    assert [p.code for p in txmode.problems(two)] == ["non-transactional-mixed"]
    late = parse_sql("CREATE INDEX CONCURRENTLY i ON t (c);\nRESET lock_timeout;").statements
    assert [(p.code, p.statement.line) for p in txmode.problems(late)] == [
        ("set-after-non-transactional", 2)]
