"""`schema diff` names the changed object for every kind, on real pg_dump output: two
databases made from one template, one change applied to the second."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from harness.io.db.dump import diff_databases
from harness.io.db.providers import PostgresServer
from harness.io.db.schema import Verdict

BASE = """
CREATE TABLE orders (id serial PRIMARY KEY, note text, total integer DEFAULT 0 NOT NULL,
                     CONSTRAINT orders_total_check CHECK (total >= 0));
CREATE INDEX orders_total_idx ON orders (total);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE SEQUENCE invoice_no;
COMMENT ON TABLE orders IS 'one row per order';
"""
ROLE = "harness_diff_reader"

CASES = [
    ("ALTER TABLE orders ALTER COLUMN note TYPE varchar(200)",
     "table public.orders: column note type text -> character varying(200)"),
    ("ALTER TABLE orders ALTER COLUMN total SET DEFAULT 1",
     "table public.orders: column total default 0 -> 1"),
    ("ALTER TABLE orders ALTER COLUMN id SET DEFAULT 7",  # pg_dump: inline, not an entry
     "default of public.orders.id: removed"),
    ("ALTER TABLE orders ALTER COLUMN note SET NOT NULL",
     "table public.orders: column note NOT NULL added"),
    ("ALTER TABLE orders ADD COLUMN paid boolean",
     "table public.orders: column paid added (boolean)"),
    ("ALTER TABLE orders DROP CONSTRAINT orders_total_check, ADD CONSTRAINT orders_total_check "
     "CHECK (total > 0)",
     "constraint orders_total_check on public.orders: CHECK ((total >= 0)) -> "
     "CHECK ((total > 0))"),
    ("ALTER TABLE orders ADD CONSTRAINT orders_note_key UNIQUE (note)",
     "constraint orders_note_key on public.orders: added"),
    ("DROP INDEX orders_total_idx", "index public.orders_total_idx: removed"),
    ("CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
     "$$ BEGIN NEW.total := 0; RETURN NEW; END $$", "function public.touch(): "),
    ("DROP TRIGGER orders_touch ON orders", "trigger orders_touch on public.orders: removed"),
    ("CREATE OR REPLACE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 500",
     "view public.big_orders: "),
    ("ALTER SEQUENCE invoice_no OWNED BY orders.id",
     "sequence owned by public.invoice_no: added"),
    ("COMMENT ON TABLE orders IS 'orders, one a row'",
     "comment on table public.orders: COMMENT ON TABLE public.orders IS 'one row per order'; "
     "-> COMMENT ON TABLE public.orders IS 'orders, one a row';"),
]


@pytest.fixture(scope="module")
def template(postgres: PostgresServer) -> Iterator[str]:
    name = f"diff_base_{uuid.uuid4().hex[:8]}"
    dsn = postgres.create_database(name, template="template0")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(BASE.encode())
    yield name
    postgres.drop_database(name)


@pytest.fixture
def pair(postgres: PostgresServer, template: str) -> Iterator[Callable[[str], tuple[str, str]]]:
    made: list[str] = []

    def make(change: str) -> tuple[str, str]:
        """(the template itself, a copy of it with ``change`` applied)."""
        name = f"diff_b_{uuid.uuid4().hex[:8]}"
        made.append(name)
        a, b = postgres.dsn(template), postgres.create_database(name, template=template)
        with psycopg.connect(b, autocommit=True) as conn:
            conn.execute(change.encode())
        return a, b

    yield make
    for name in made:
        postgres.drop_database(name)


@pytest.mark.parametrize(("change", "named"), CASES, ids=[c[1].split(":")[0] for c in CASES])
def test_each_kind_of_change_is_named(pair: Callable[[str], tuple[str, str]], change: str,
                                      named: str) -> None:
    a, b = pair(change)
    result = diff_databases(a, b)
    assert result.verdict is Verdict.DIFFERENT
    lines = [str(c) for c in result.changes]
    assert any(line.startswith(named) for line in lines), lines


def test_column_order_alone_stays_equivalent_and_is_named(
        pair: Callable[[str], tuple[str, str]]) -> None:
    a, b = pair("ALTER TABLE orders DROP COLUMN note; ALTER TABLE orders ADD COLUMN note text")
    result = diff_databases(a, b)
    assert result.verdict is Verdict.EQUIVALENT
    assert [str(c) for c in result.changes] == [
        "table public.orders: column order id, note, total -> id, total, note"]


def test_privileges_are_compared_only_when_asked(postgres: PostgresServer,
                                                 pair: Callable[[str], tuple[str, str]]) -> None:
    with psycopg.connect(postgres.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {ROLE}")
        conn.execute(f"CREATE ROLE {ROLE}")
    try:
        a, b = pair(f"GRANT SELECT ON orders TO {ROLE}")
        assert diff_databases(a, b).verdict is Verdict.IDENTICAL
        with_grants = diff_databases(a, b, with_privileges=True)
        assert with_grants.verdict is Verdict.DIFFERENT
        assert [str(c) for c in with_grants.changes] == [
            "privileges on table public.orders: added"]
        with psycopg.connect(b, autocommit=True) as conn:
            conn.execute(f"REVOKE ALL ON orders FROM {ROLE}")
    finally:
        with psycopg.connect(postgres.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {ROLE}")
