"""Fan trap: order-level numbers must not be multiplied by the number of order lines.

Orders have one row per order (order_total); order_lines have several rows per
order. A naive engine joins lines to orders and then sums order_total over the
joined rows, so every order counts once per line.
"""

from __future__ import annotations

import pytest

from onpace.errors import QueryError

from .helpers import MakeProject, SoundProject, assert_table, d

DATA = """
create table customers (customer_id integer, region varchar);
insert into customers values (1, 'EU'), (2, 'US');

create table orders (order_id integer, customer_id integer, order_date date, order_total decimal(12, 2),
                     status varchar);
insert into orders values
    (1, 1, date '2024-01-05', 100.00, 'done'),
    (2, 1, date '2024-01-20',  50.00, 'done'),
    (3, 2, date '2024-01-10',  30.00, 'open'),
    (4, 2, date '2024-02-03',  70.00, 'done');

-- order 1: 3 lines, order 2: 1 line, order 3: 2 lines, order 4: 4 lines
create table order_lines (line_id integer, order_id integer, product varchar, amount decimal(12, 2));
insert into order_lines values
    (1, 1, 'A', 20.00), (2, 1, 'A', 30.00), (3, 1, 'B', 40.00),
    (4, 2, 'B', 50.00),
    (5, 3, 'A', 10.00), (6, 3, 'B', 15.00),
    (7, 4, 'A', 10.00), (8, 4, 'A', 10.00), (9, 4, 'B', 20.00), (10, 4, 'B', 25.00);
"""

MODELS = """
datasets:
  - name: order_lines
    table: order_lines
    time: order_date
    keys:
      - {name: order, column: order_id}
    dimensions:
      - {name: product, column: product}
    measures:
      - {name: line_revenue, agg: sum, expr: amount}
      - {name: line_count, agg: count}
  - name: orders
    table: orders
    time: order_date
    keys:
      - {name: order, column: order_id, primary: true}
      - {name: customer, column: customer_id}
    dimensions:
      - {name: order_date, column: order_date, type: time}
      - {name: status, column: status}
    measures:
      - {name: order_total, agg: sum, expr: order_total}
      - {name: order_count, agg: count}
      - {name: avg_order_total, agg: avg, expr: order_total}
  - name: customers
    table: customers
    keys:
      - {name: customer, column: customer_id, primary: true}
    dimensions:
      - {name: region, column: region}
metrics:
  - {name: order_total, measure: orders.order_total}
  - {name: orders, measure: orders.order_count}
  - {name: avg_order_total, measure: orders.avg_order_total}
  - {name: line_revenue, measure: order_lines.line_revenue}
  - {name: lines, measure: order_lines.line_count}
  - {name: revenue_per_order, type: ratio, numerator: line_revenue, denominator: orders}
  - {name: lines_per_order, type: ratio, numerator: lines, denominator: orders}
  - {name: shipping, type: derived, expr: order_total - line_revenue}
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project(DATA, MODELS)


def test_order_measures_next_to_line_measures_by_region(project: SoundProject) -> None:
    metrics = [
        "order_total",
        "orders",
        "avg_order_total",
        "line_revenue",
        "lines",
        "revenue_per_order",
        "lines_per_order",
    ]
    table = project.query(metrics, dimensions=["region"])
    assert_table(
        table,
        ["region", *metrics],
        [
            # EU: orders 1, 2. order_total 100 + 50 = 150 (fanned: 100*3 + 50*1 = 350); orders 2 (fanned: 4);
            # avg 150/2 = 75 (fanned: 350/4 = 87.5); line revenue 20+30+40+50 = 140; ratio 140/2 = 70
            # (fanned: 140/4 = 35); lines per order 4/2 = 2 (fanned: 4/4 = 1).
            ("EU", 150.0, 2, 75.0, 140.0, 4, 70.0, 2.0),
            # US: orders 3, 4. order_total 30 + 70 = 100 (fanned: 30*2 + 70*4 = 340); avg 50 (fanned 340/6);
            # line revenue 10+15+10+10+20+25 = 90; ratio 90/2 = 45 (fanned: 90/6 = 15); lines 6/2 = 3.
            ("US", 100.0, 2, 50.0, 90.0, 6, 45.0, 3.0),
        ],
    )
    # cross-check of the order-level sums with hand-written SQL on the orders table alone
    assert project.reference(
        "select region, sum(order_total)::double from orders join customers using (customer_id) "
        "group by region order by 1"
    ) == [("EU", 150.0), ("US", 100.0)]


def test_mixed_metrics_by_month_and_region(project: SoundProject) -> None:
    table = project.query(
        ["order_total", "line_revenue", "revenue_per_order"],
        dimensions=["region"],
        grain="month",
        start=d("2024-01-01"),
        end=d("2024-02-29"),
    )
    assert_table(
        table,
        ["period", "region", "order_total", "line_revenue", "revenue_per_order"],
        [
            # January EU: orders 1, 2 -> 150; lines 90 + 50 = 140; 140 / 2 orders = 70
            (d("2024-01-01"), "EU", 150.0, 140.0, 70.0),
            # January US: order 3 -> 30 (fanned: 60); lines 10 + 15 = 25; 25 / 1 = 25
            (d("2024-01-01"), "US", 30.0, 25.0, 25.0),
            # February EU: no order -> sums 0, ratio null (0 orders)
            (d("2024-02-01"), "EU", 0.0, 0.0, None),
            # February US: order 4 -> 70 (fanned: 280); lines 65; 65 / 1 = 65
            (d("2024-02-01"), "US", 70.0, 65.0, 65.0),
        ],
    )


def test_mixed_metrics_by_month_without_dimension(project: SoundProject) -> None:
    table = project.query(
        ["order_total", "orders", "line_revenue", "revenue_per_order", "shipping"],
        grain="month",
        start=d("2024-01-01"),
        end=d("2024-02-29"),
    )
    assert_table(
        table,
        ["period", "order_total", "orders", "line_revenue", "revenue_per_order", "shipping"],
        [
            # January: orders 1-3: 100 + 50 + 30 = 180 (fanned: 300 + 50 + 60 = 410); 3 orders (fanned: 6 lines);
            # lines 140 + 25 = 165; 165 / 3 = 55; shipping 180 - 165 = 15 (fanned: 410 - 165 = 245)
            (d("2024-01-01"), 180.0, 3, 165.0, 55.0, 15.0),
            # February: order 4: 70 (fanned: 280); lines 65; 65 / 1 = 65; shipping 70 - 65 = 5
            (d("2024-02-01"), 70.0, 1, 65.0, 65.0, 5.0),
        ],
    )


def test_line_measures_by_product(project: SoundProject) -> None:
    table = project.query(["line_revenue", "lines"], dimensions=["product"])
    assert_table(
        table,
        ["product", "line_revenue", "lines"],
        [
            ("A", 80.0, 5),  # 20 + 30 + 10 + 10 + 10
            ("B", 150.0, 5),  # 40 + 50 + 15 + 20 + 25
        ],
    )


@pytest.mark.parametrize("metrics", [["order_total"], ["line_revenue", "order_total"]])
def test_order_measure_by_line_dimension_is_refused(project: SoundProject, metrics: list[str]) -> None:
    # product is on order_lines: orders reach it only through a one-to-many join, which would
    # repeat order_total once per line (A: 100*2 + 30 + 70*2 = 370 instead of an error).
    with pytest.raises(QueryError):
        project.query(metrics, dimensions=["product"])
