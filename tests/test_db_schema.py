"""Normalising pg_dump output and comparing schemas: pure, no database."""

from __future__ import annotations

from harness.io.db.schema import Verdict, changes, compare, normalise

HEADER = """--
-- PostgreSQL database dump
--

\\restrict 6mAbq0aZ1tc4QkYJbL8hR3dWqoTQmFfbpkIaHEc2tGYD2v9r1Wd3M

-- Dumped from database version 16.2
-- Dumped by pg_dump version 16.2

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;

"""

USERS = """--
-- Name: users; Type: TABLE; Schema: public; Owner: {owner}
--

CREATE TABLE public.users (
{columns}
);


ALTER TABLE public.users OWNER TO {owner};

--
-- Name: TABLE users; Type: ACL; Schema: public; Owner: {owner}
--

GRANT SELECT ON TABLE public.users TO reader;


--
-- Name: f(); Type: FUNCTION; Schema: public; Owner: {owner}
--

CREATE FUNCTION public.f() RETURNS integer
    LANGUAGE plpgsql
    AS $$
begin

  return 1;
end; $$;


--
-- PostgreSQL database dump complete
--

\\unrestrict 6mAbq0aZ1tc4QkYJbL8hR3dWqoTQmFfbpkIaHEc2tGYD2v9r1Wd3M
"""

COLUMNS = ["    id integer NOT NULL", "    email text DEFAULT 'x'::text NOT NULL",
           '    "order" integer']


def dump(columns: list[str] = COLUMNS, owner: str = "postgres", header: str = HEADER) -> str:
    return header + USERS.format(owner=owner, columns=",\n".join(columns))


def test_normalise_drops_comments_set_lines_search_path_owner_acl_and_restrict() -> None:
    text = normalise(dump()).text()
    for noise in ("--\n", "SET ", "set_config", "OWNER TO", "GRANT", "restrict", "Dumped"):
        assert noise not in text.replace("-- TABLE", "").replace("-- FUNCTION", "")
    assert "CREATE TABLE public.users (" in text
    # A blank line inside a function body belongs to the function and is kept.
    assert "begin\n\n  return 1;" in text


def test_two_dumps_differing_only_in_noise_are_identical() -> None:
    other_header = (HEADER.replace("6mAbq0", "ZZZZZZ").replace("16.2", "16.4")
                    .replace("SET client_encoding", "SET transaction_timeout = 0;\n"
                             "SET client_encoding"))
    result = compare(normalise(dump()), normalise(dump(owner="app", header=other_header)))
    assert result.verdict is Verdict.IDENTICAL
    assert result.diff == ""


def test_column_order_only_is_equivalent_and_names_the_table() -> None:
    reordered = [COLUMNS[0], COLUMNS[2], COLUMNS[1]]
    result = compare(normalise(dump()), normalise(dump(reordered)), left_label="before",
                     right_label="after")
    assert result.verdict is Verdict.EQUIVALENT
    assert result.reordered_tables == ("public.users",)
    assert "column order" in result.summary
    assert result.diff.startswith("--- before\n+++ after\n")


def test_a_changed_column_is_different_with_a_readable_diff() -> None:
    changed = [COLUMNS[0], "    email character varying(20) NOT NULL", COLUMNS[2]]
    result = compare(normalise(dump()), normalise(dump(changed)))
    assert result.verdict is Verdict.DIFFERENT
    assert "-    email text DEFAULT 'x'::text NOT NULL," in result.diff
    assert "+    email character varying(20) NOT NULL," in result.diff
    assert "2 changed lines" in result.summary


def test_a_missing_object_is_different() -> None:
    without_function = dump().split("--\n-- Name: f()")[0]
    result = compare(normalise(dump()), normalise(without_function))
    assert result.verdict is Verdict.DIFFERENT
    assert "-CREATE FUNCTION public.f()" in result.diff


def test_text_without_pg_dump_headers_is_still_compared() -> None:
    assert compare(normalise("CREATE TABLE a (x int);\n"),
                   normalise("CREATE TABLE a (x bigint);\n")).verdict is Verdict.DIFFERENT


def test_table_columns_parse_types_nullability_defaults_and_quoted_names() -> None:
    table = normalise(dump()).tables()["public.users"]
    assert [c.name for c in table.columns] == ["id", "email", "order"]
    email = table.column("email")
    assert email is not None and email.type == "text" and email.not_null and email.has_default
    order = table.column("order")
    assert order is not None and order.type == "integer" and not order.not_null


def test_changes_lists_what_old_code_would_feel() -> None:
    before = normalise(dump())
    after = normalise(dump(["    id bigint NOT NULL", "    email text DEFAULT 'x'::text",
                            '    "order" integer NOT NULL', "    tenant integer NOT NULL",
                            "    note text"]))
    found = {(c.kind, c.obj) for c in changes(before, after)}
    assert found == {
        ("column-type-changed", "public.users.id"),
        ("not-null-dropped", "public.users.email"),
        ("not-null-added", "public.users.order"),
        ("required-column-added", "public.users.tenant"),
    }


def test_changes_sees_dropped_tables_and_columns() -> None:
    before = normalise(dump())
    assert {c.kind for c in changes(before, normalise(dump(COLUMNS[:2])))} == {"column-dropped"}
    assert [c.kind for c in changes(before, normalise(HEADER))] == ["table-dropped"]


def test_is_not_null_inside_a_generated_expression_is_not_a_not_null_column() -> None:
    cols = [*COLUMNS, "    has_email boolean GENERATED ALWAYS AS ((email IS NOT NULL)) STORED"]
    column = normalise(dump(cols)).tables()["public.users"].column("has_email")
    assert column is not None and not column.not_null
