"""Join paths: a dimension reachable two ways is an error until the path is named."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.errors import QueryError

MODELS = """
datasets:
  - name: lines
    table: lines
    time: day
    keys: [{name: order, column: order_id}, {name: supplier, column: supplier_id}]
    dimensions: [{name: day, column: day, type: time}]
    measures: [{name: amount, agg: sum, expr: amount}]
  - name: orders
    table: orders
    time: ordered_on
    keys: [{name: order, column: id, primary: true}, {name: customer, column: customer_id}]
    dimensions: [{name: ordered_on, type: time}]
    measures: [{name: order_count, agg: count}]
  - name: customers
    table: customers
    keys: [{name: customer, column: id, primary: true}, {name: nation, column: nation_id}]
  - name: suppliers
    table: suppliers
    keys: [{name: supplier, column: id, primary: true}, {name: nation, column: nation_id}]
  - name: nations
    table: nations
    keys: [{name: nation, column: id, primary: true}]
    dimensions: [{name: nation, column: name}]
metrics:
  - {name: amount, measure: lines.amount}
  - {name: orders, measure: orders.order_count}
"""


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    (tmp_path / "models").mkdir()
    (tmp_path / "onpace.yml").write_text("name: diamond\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\n")
    (tmp_path / "models" / "m.yml").write_text(MODELS)
    con = duckdb.connect(str(tmp_path / "data.duckdb"))
    con.execute("""
        create table nations as select * from (values (1, 'FR'), (2, 'JP')) t(id, name);
        create table customers as select * from (values (10, 1), (11, 2)) t(id, nation_id);
        create table suppliers as select * from (values (20, 2), (21, 1)) t(id, nation_id);
        create table orders as select * from (values (100, 10, date '2024-01-05'), (101, 11, date '2024-01-07'))
            t(id, customer_id, ordered_on);
        -- order 100: French customer; its lines come from a Japanese (20) and a French (21) supplier
        create table lines as select * from (values
            (100, 20, date '2024-01-05', 5.0), (100, 21, date '2024-01-06', 7.0), (101, 20, date '2024-01-07', 11.0)
        ) t(order_id, supplier_id, day, amount);
    """)
    con.close()
    return Engine(load_project(tmp_path))


def totals(engine: Engine, dimension: str) -> dict[str, float]:
    result = engine.query(Query(metrics=["amount"], dimensions=[dimension]))
    return {row[dimension]: row["amount"] for row in result.to_pylist()}


def test_two_paths_are_an_error_naming_both(engine: Engine) -> None:
    with pytest.raises(QueryError) as info:
        engine.query(Query(metrics=["amount"], dimensions=["nation"]))
    message = str(info.value)
    assert "2 paths" in message
    assert "'order.customer.nation.nation'" in message or "'order.customer.nation" in message
    assert "'supplier.nation.nation'" in message


def test_customer_nation_by_the_order_path(engine: Engine) -> None:
    # by hand: FR customer's order 100 -> 5 + 7 = 12; JP customer's order 101 -> 11
    assert totals(engine, "order.nation") == {"FR": 12.0, "JP": 11.0}


def test_supplier_nation_by_the_supplier_path(engine: Engine) -> None:
    # by hand: JP supplier 20 -> 5 + 11 = 16; FR supplier 21 -> 7
    assert totals(engine, "supplier.nation") == {"JP": 16.0, "FR": 7.0}


def test_qualified_name_in_a_filter(engine: Engine) -> None:
    result = engine.query(Query(metrics=["amount"], where="supplier.nation = 'FR'"))
    assert result.to_pylist() == [{"amount": 7.0}]


def test_validate_finds_a_primary_key_that_repeats(engine: Engine) -> None:
    from onpace.engine.check import check_sources

    assert check_sources(engine.project) == []
    con = duckdb.connect(str(engine.project.root / "data.duckdb"))
    con.execute(
        "insert into orders values (100, 11, date '2024-01-05')"
    )  # order 100 twice: lines would be counted twice
    con.close()
    engine.close()
    issues = check_sources(engine.project)
    assert len(issues) == 1
    assert issues[0].file == "models/m.yml"
    assert "key 'order' is primary in dataset 'orders' but 1 of its values repeat" in issues[0].message
    text = (engine.project.root / "models" / "m.yml").read_text().splitlines()
    assert "order" in text[(issues[0].line or 0) - 1] and "primary" in text[(issues[0].line or 0) - 1]


def test_path_named_with_double_underscores_as_metricflow_does(engine: Engine) -> None:
    # the same paths as above, written as MetricFlow names them: keys then dimension, joined by '__'
    assert totals(engine, "order__nation") == {"FR": 12.0, "JP": 11.0}
    assert totals(engine, "supplier__nation") == {"JP": 16.0, "FR": 7.0}
    assert totals(engine, "order__customer__nation") == {"FR": 12.0, "JP": 11.0}
    result = engine.query(Query(metrics=["amount"], where="supplier__nation = 'FR'"))
    assert result.to_pylist() == [{"amount": 7.0}]


def test_path_with_a_key_that_does_not_lead_there_names_it(engine: Engine) -> None:
    with pytest.raises(QueryError, match="cannot be reached from dataset 'lines' through keys customer"):
        totals(engine, "customer__nation")


def test_a_path_may_start_with_the_datasets_own_key(engine: Engine) -> None:
    # from orders, 'order__customer__nation' (MetricFlow's name: the orders model's entity first) is the
    # path orders -> customers -> nations; order 100 has a French customer, order 101 a Japanese one
    result = engine.query(Query(metrics=["orders"], dimensions=["order__customer__nation"]))
    assert {r["order__customer__nation"]: r["orders"] for r in result.to_pylist()} == {"FR": 1, "JP": 1}
