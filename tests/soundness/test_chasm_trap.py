"""Chasm trap: two fact tables sharing a dimension must not multiply each other.

sales and returns both join to customers. A naive engine joins
sales -> customers <- returns, so a customer with 2 sales and 3 returns gives
6 joined rows and every sale is counted 3 times and every return twice.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

DATA = """
create table customers (customer_id integer, region varchar);
insert into customers values (1, 'EU'), (2, 'EU'), (3, 'US');

create table sales (sale_id integer, customer_id integer, sale_date date, amount double);
insert into sales values
    (1, 1, date '2024-01-03', 100), (2, 1, date '2024-01-04', 200),
    (3, 2, date '2024-01-05', 50),
    (4, 3, date '2024-01-06', 40), (5, 3, date '2024-02-07', 60);

create table returns (return_id integer, customer_id integer, return_date date, amount double);
insert into returns values
    (1, 1, date '2024-01-10', 10), (2, 1, date '2024-01-11', 20), (3, 1, date '2024-02-12', 30),
    (4, 3, date '2024-02-13', 5);
"""

MODELS = """
datasets:
  - name: customers
    table: customers
    keys:
      - {name: customer, column: customer_id, primary: true}
    dimensions:
      - {name: region, column: region}
  - name: sales
    table: sales
    time: sale_date
    keys:
      - {name: customer, column: customer_id}
    dimensions:
      - {name: sale_date, column: sale_date, type: time}
    measures:
      - {name: sales_amount, agg: sum, expr: amount}
      - {name: sales_count, agg: count}
  - name: returns
    table: returns
    time: return_date
    keys:
      - {name: customer, column: customer_id}
    dimensions:
      - {name: return_date, column: return_date, type: time}
    measures:
      - {name: returns_amount, agg: sum, expr: amount}
      - {name: returns_count, agg: count}
metrics:
  - {name: sales, measure: sales.sales_amount}
  - {name: sales_count, measure: sales.sales_count}
  - {name: returns, measure: returns.returns_amount}
  - {name: returns_count, measure: returns.returns_count}
  - {name: net_sales, type: derived, expr: sales - returns}
  - {name: return_rate, type: ratio, numerator: returns, denominator: sales}
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project(DATA, MODELS)


def test_two_facts_by_region(project: SoundProject) -> None:
    metrics = ["sales", "sales_count", "returns", "returns_count", "net_sales", "return_rate"]
    table = project.query(metrics, dimensions=["region"])
    assert_table(
        table,
        ["region", *metrics],
        [
            # EU: sales 100 + 200 + 50 = 350 (joined to customer 1's 3 returns: 300*3 + 50 = 950);
            # 3 sales (chasm: 2*3 + 1 = 7); returns 10 + 20 + 30 = 60 (chasm: 60*2 = 120); 3 returns (chasm 6);
            # net 350 - 60 = 290; return rate 60 / 350
            ("EU", 350.0, 3, 60.0, 3, 290.0, 60 / 350),
            # US: sales 40 + 60 = 100; returns 5 (chasm: 5*2 = 10); net 95; rate 5 / 100
            ("US", 100.0, 2, 5.0, 1, 95.0, 0.05),
        ],
    )


def test_each_sum_equals_the_sum_queried_alone(project: SoundProject) -> None:
    together = project.query(["sales", "returns"], dimensions=["region"])
    sales_sql = project.reference(
        "select region, sum(amount) from sales join customers using (customer_id) group by 1 order by 1"
    )
    returns_sql = project.reference(
        "select c.region, coalesce(sum(r.amount), 0) from customers c left join returns r using (customer_id) "
        "group by 1 order by 1"
    )
    assert sales_sql == [("EU", 350.0), ("US", 100.0)]
    assert returns_sql == [("EU", 60.0), ("US", 5.0)]
    assert_table(
        together,
        ["region", "sales", "returns"],
        [(region, s, r) for (region, s), (_, r) in zip(sales_sql, returns_sql, strict=True)],
    )


def test_two_facts_by_month_and_region(project: SoundProject) -> None:
    table = project.query(
        ["sales", "returns"], dimensions=["region"], grain="month", start=d("2024-01-01"), end=d("2024-02-29")
    )
    assert_table(
        table,
        ["period", "region", "sales", "returns"],
        [
            (d("2024-01-01"), "EU", 350.0, 30.0),  # sales 100+200+50; returns 10+20 (chasm: sales 650, returns 60)
            (d("2024-01-01"), "US", 40.0, 0.0),  # sale 4; no return in January
            (d("2024-02-01"), "EU", 0.0, 30.0),  # no sale in February; return 3
            (d("2024-02-01"), "US", 60.0, 5.0),  # sale 5; return 4
        ],
    )
