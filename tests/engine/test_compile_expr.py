"""The expression language: parsed, compiled to ibis, and evaluated by DuckDB against hand-computed answers."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

from onpace.catalog.expr import ExpressionError, Name, names, parse
from onpace.engine.compile_expr import compile_expr
from onpace.errors import QueryError

ROWS = pa.table(
    {
        "region": ["EU", "US", None, "EU", "APAC"],
        "channel": ["web", "app", "web", "store", "web"],
        "amount": [10.0, 20.0, 30.0, 0.0, 50.0],
        "qty": [1, 2, 3, 0, 5],
        "day": pa.array([dt.date(2024, 1, d) for d in (1, 2, 3, 4, 5)], type=pa.date32()),
    }
)


def evaluate(text: str) -> list[object]:
    con = ibis.duckdb.connect()
    table = ibis.memtable(ROWS)
    value = compile_expr(parse(text), lambda n: table[n.text])
    return [r["v"] for r in con.to_pyarrow(table.select(v=value)).to_pylist()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("region = 'EU' and channel in ('web', 'app')", [True, False, None, False, False]),
        ("region is null", [False, False, True, False, False]),
        ("not region is null and qty between 1 and 3", [True, True, False, False, False]),
        ("channel not in ('web')", [False, True, False, True, False]),
        ("day >= date '2024-01-03'", [False, False, True, True, True]),
        ("day >= '2024-01-04'", [False, False, False, True, True]),  # a string compared with a date is a date
        ("amount * (1 - 0.5) + qty", [6.0, 12.0, 18.0, 0.0, 30.0]),
        ("amount / qty", [10.0, 10.0, 10.0, None, 10.0]),  # division by zero gives null
        (
            "case when qty > 2 then 'big' when qty > 0 then 'small' else 'none' end",
            ["small", "small", "big", "none", "big"],
        ),
        ("coalesce(region, 'unknown')", ["EU", "US", "unknown", "EU", "APAC"]),
        ("upper(channel) like 'W%'", [True, False, True, False, True]),
        ("if(qty % 2 = 1, 1, 0)", [1, 0, 1, 0, 1]),
        ("-qty", [-1, -2, -3, 0, -5]),
        ("month(day) = 1 and year(day) = 2024", [True] * 5),
    ],
)
def test_expressions_evaluate_as_written(text: str, expected: list[object]) -> None:
    assert evaluate(text) == expected


def test_keywords_are_case_insensitive() -> None:
    assert parse("a = 1 AND b IN (1, 2) Or NOT c IS NULL") == parse("a = 1 and b in (1, 2) or not c is null")


def test_names_are_listed_in_order() -> None:
    assert [n.text for n in names(parse("a + f(b) > c and d in (e)".replace("f(", "abs(")))] == [
        "a",
        "b",
        "c",
        "d",
        "e",
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("region = ", "unexpected end"),
        ("region = 'EU", "unexpected character"),
        ("amount +* 2", "at column 9"),
        ("foo(amount)", "did you mean 'floor'"),
        ("round(amount, 1, 2)", "takes 1 to 2 arguments"),
        ("day > date '2024-13-01'", "invalid date literal"),
        ("", "empty expression"),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert fragment in str(info.value)


def test_injection_is_just_a_string() -> None:
    # a quote inside a literal stays data: the SQL generator escapes it
    text = "region = 'EU'' OR 1=1 --'"
    assert parse(text) == parse("region = 'EU'' OR 1=1 --'")
    assert evaluate(text) == [False, False, None, False, False]


def test_unknown_names_are_reported_by_the_resolver() -> None:
    def resolve(name: Name) -> object:
        raise QueryError(f"unknown name '{name.text}'")

    with pytest.raises(QueryError, match="unknown name 'nope'"):
        compile_expr(parse("nope > 1"), resolve)


@pytest.mark.parametrize(
    ("kind", "value", "digits", "expected"),
    [
        ("decimal(12,2)", "9999999999.99", 3, 9999999999.99),  # nothing to round: no DECIMAL(12,3) overflow
        ("decimal(12,2)", "9999999999.99", 1, 10000000000.0),
        ("decimal(12,2)", "-2.50", 0, -3.0),
        ("decimal", "0.125", 2, 0.13),  # an unconstrained decimal (PostgreSQL's numeric)
        ("decimal(12,2)", "1250.00", -2, 1300.0),
        ("float64", "0.49999999999999994", 0, 0.0),  # floor(x + 0.5) would give 1
        ("float64", "1e300", 2, 1e300),  # too large to have a fraction: unchanged, no int64 overflow
        ("int64", "-25", -1, -30.0),
    ],
)
def test_round_edges(kind: str, value: str, digits: int, expected: float) -> None:
    import decimal

    literal = ibis.literal(decimal.Decimal(value) if kind.startswith("decimal") else float(value), type=kind)
    if kind == "int64":
        literal = ibis.literal(int(value), type=kind)
    got = ibis.duckdb.connect().execute(compile_expr(parse(f"round(x, {digits})"), lambda _: literal))
    assert got == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("round(amount, qty)", "n must be a whole number"),  # was silently round(amount, 0)
        ("round(amount, 1.5)", "n must be a whole number"),
        ("round(channel)", "does not apply to string values"),
    ],
)
def test_round_refuses_what_it_cannot_round(text: str, fragment: str) -> None:
    with pytest.raises(QueryError, match=fragment):
        evaluate(text)
