"""Every period of the range is in the result, with 0 for sums and counts and null otherwise.

An engine that only groups the rows it has drops February (no sale) from a
monthly chart, or fills it with 0 for an average (which is not 0, it is unknown).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

SALES = [
    {"sale_date": d("2023-06-01"), "region": "APAC", "amount": 5.0, "customer_id": 9},
    {"sale_date": d("2024-01-10"), "region": "EU", "amount": 10.0, "customer_id": 1},
    {"sale_date": d("2024-01-20"), "region": "US", "amount": 20.0, "customer_id": 2},
    {"sale_date": d("2024-03-05"), "region": "EU", "amount": 30.0, "customer_id": 1},
]

MODELS = """
datasets:
  - name: sales
    table: sales
    time: sale_date
    dimensions:
      - {name: sale_date, column: sale_date, type: time}
      - {name: region, column: region}
    measures:
      - {name: total, agg: sum, expr: amount}
      - {name: n, agg: count}
      - {name: avg_amount, agg: avg, expr: amount}
      - {name: min_amount, agg: min, expr: amount}
      - {name: max_amount, agg: max, expr: amount}
      - {name: median_amount, agg: median, expr: amount}
      - {name: customers, agg: count_distinct, expr: customer_id}
metrics:
  - {name: total, measure: sales.total}
  - {name: n, measure: sales.n}
  - {name: avg_amount, measure: sales.avg_amount}
  - {name: min_amount, measure: sales.min_amount}
  - {name: max_amount, measure: sales.max_amount}
  - {name: median_amount, measure: sales.median_amount}
  - {name: customers, measure: sales.customers}
  - {name: avg_sale, type: ratio, numerator: total, denominator: n}
"""

ALL = ["total", "n", "avg_amount", "min_amount", "max_amount", "median_amount", "customers", "avg_sale"]
# the value of each metric in a period without rows: sums and counts 0, anything else null
EMPTY = (0.0, 0, None, None, None, None, 0, None)


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"sales": SALES}, MODELS)


def test_month_without_rows_is_listed(project: SoundProject) -> None:
    table = project.query(ALL, grain="month", start=d("2024-01-01"), end=d("2024-03-31"))
    assert_table(
        table,
        ["period", *ALL],
        [
            # January: 10 + 20; 2 rows; avg 15; min 10; max 20; median 15; customers 1, 2; 30 / 2
            (d("2024-01-01"), 30.0, 2, 15.0, 10.0, 20.0, 15.0, 2, 15.0),
            (d("2024-02-01"), *EMPTY),
            (d("2024-03-01"), 30.0, 1, 30.0, 30.0, 30.0, 30.0, 1, 30.0),
        ],
    )


def test_every_period_times_every_dimension_value_in_range(project: SoundProject) -> None:
    table = project.query(ALL, dimensions=["region"], grain="month", start=d("2024-01-01"), end=d("2024-03-31"))
    # APAC only has a sale before the range: it is not a value seen in the range
    assert_table(
        table,
        ["period", "region", *ALL],
        [
            (d("2024-01-01"), "EU", 10.0, 1, 10.0, 10.0, 10.0, 10.0, 1, 10.0),
            (d("2024-01-01"), "US", 20.0, 1, 20.0, 20.0, 20.0, 20.0, 1, 20.0),
            (d("2024-02-01"), "EU", *EMPTY),
            (d("2024-02-01"), "US", *EMPTY),
            (d("2024-03-01"), "EU", 30.0, 1, 30.0, 30.0, 30.0, 30.0, 1, 30.0),
            (d("2024-03-01"), "US", *EMPTY),  # US has no sale in March
        ],
    )


def _months(first: dt.date, count: int) -> list[dt.date]:
    return [dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1) for i in range(count)]


def test_range_wider_than_the_data(project: SoundProject) -> None:
    table = project.query(["total", "n", "avg_amount"], grain="month", start=d("2023-11-01"), end=d("2024-05-31"))
    known = {d("2024-01-01"): (30.0, 2, 15.0), d("2024-03-01"): (30.0, 1, 30.0)}
    # November 2023 .. May 2024: 7 months, 5 of them without rows
    expected = [(m, *known.get(m, (0.0, 0, None))) for m in _months(d("2023-11-01"), 7)]
    assert_table(table, ["period", "total", "n", "avg_amount"], expected)


def test_range_wider_than_the_data_by_dimension(project: SoundProject) -> None:
    table = project.query(
        ["total", "avg_amount"], dimensions=["region"], grain="month", start=d("2023-11-01"), end=d("2024-05-31")
    )
    known: dict[tuple[dt.date, str], tuple[Any, ...]] = {
        (d("2024-01-01"), "EU"): (10.0, 10.0),
        (d("2024-01-01"), "US"): (20.0, 20.0),
        (d("2024-03-01"), "EU"): (30.0, 30.0),
    }
    # 7 months x {EU, US} = 14 rows
    expected = [(m, r, *known.get((m, r), (0.0, None))) for m in _months(d("2023-11-01"), 7) for r in ("EU", "US")]
    assert_table(table, ["period", "region", "total", "avg_amount"], expected)


def test_range_entirely_before_the_data(project: SoundProject) -> None:
    table = project.query(["total", "n", "avg_amount"], grain="month", start=d("2022-01-01"), end=d("2022-03-31"))
    assert_table(
        table, ["period", "total", "n", "avg_amount"], [(m, 0.0, 0, None) for m in _months(d("2022-01-01"), 3)]
    )


def test_without_start_and_end_the_range_is_the_data(project: SoundProject) -> None:
    table = project.query(["total", "n"], grain="month")
    # data from 2023-06-01 to 2024-03-05: June 2023 .. March 2024 = 10 months
    known = {d("2023-06-01"): (5.0, 1), d("2024-01-01"): (30.0, 2), d("2024-03-01"): (30.0, 1)}
    expected = [(m, *known.get(m, (0.0, 0))) for m in _months(d("2023-06-01"), 10)]
    assert_table(table, ["period", "total", "n"], expected)


def test_days_without_rows(project: SoundProject) -> None:
    table = project.query(["total", "n", "avg_amount"], grain="day", start=d("2024-01-09"), end=d("2024-01-12"))
    assert_table(
        table,
        ["period", "total", "n", "avg_amount"],
        [
            (d("2024-01-09"), 0.0, 0, None),
            (d("2024-01-10"), 10.0, 1, 10.0),
            (d("2024-01-11"), 0.0, 0, None),
            (d("2024-01-12"), 0.0, 0, None),
        ],
    )


def test_result_types(project: SoundProject) -> None:
    table = project.query(ALL, dimensions=["region"], grain="month", start=d("2024-01-01"), end=d("2024-03-31"))
    assert table.schema.field("period").type == pa.date32()
    assert table.schema.field("n").type == pa.int64()
    assert table.schema.field("customers").type == pa.int64()
    for name in ("total", "avg_amount", "min_amount", "max_amount", "median_amount", "avg_sale"):
        assert table.schema.field(name).type == pa.float64(), name
