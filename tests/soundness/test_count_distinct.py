"""Distinct counts are counted over the whole period and group, never summed from finer ones.

Monthly active customers are not the sum of daily active customers, and the
yearly count is not the sum of the monthly counts.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

VISITS = [
    {"visit_date": d("2024-01-01"), "customer_id": 1, "region": "EU"},
    {"visit_date": d("2024-01-01"), "customer_id": 2, "region": "EU"},
    {"visit_date": d("2024-01-02"), "customer_id": 1, "region": "US"},
    {"visit_date": d("2024-01-02"), "customer_id": 3, "region": "US"},
    {"visit_date": d("2024-01-02"), "customer_id": 1, "region": "US"},  # same customer twice on a day
    {"visit_date": d("2024-01-15"), "customer_id": 2, "region": "EU"},
    {"visit_date": d("2024-02-01"), "customer_id": 1, "region": "EU"},  # a Thursday
    {"visit_date": d("2024-02-03"), "customer_id": 4, "region": "EU"},  # a Saturday
]

MODELS = """
datasets:
  - name: visits
    table: visits
    time: visit_date
    dimensions:
      - {name: visit_date, column: visit_date, type: time}
      - {name: region, column: region}
    measures:
      - {name: customers, agg: count_distinct, expr: customer_id}
      - {name: visits, agg: count}
metrics:
  - {name: customers, measure: visits.customers}
  - {name: visits, measure: visits.visits}
  - {name: visits_per_customer, type: ratio, numerator: visits, denominator: customers}
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"visits": VISITS}, MODELS)


def test_month(project: SoundProject) -> None:
    table = project.query(["customers", "visits", "visits_per_customer"], grain="month")
    assert_table(
        table,
        ["period", "customers", "visits", "visits_per_customer"],
        [
            # January: {1, 2, 3} = 3 (sum of daily distinct counts: 2 + 2 + 1 = 5); 6 visits; 6 / 3 (not 6 / 5)
            (d("2024-01-01"), 3, 6, 2.0),
            (d("2024-02-01"), 2, 2, 1.0),  # {1, 4}
        ],
    )
    assert table.schema.field("customers").type == pa.int64()
    expected = project.reference(
        "select date_trunc('month', visit_date)::date, count(distinct customer_id) from visits group by 1 order by 1"
    )
    assert_table(table.select(["period", "customers"]), ["period", "customers"], expected)


def test_year_quarter_and_total(project: SoundProject) -> None:
    # {1, 2, 3, 4} = 4 (sum of the monthly counts: 3 + 2 = 5)
    assert_table(project.query(["customers"], grain="year"), ["period", "customers"], [(d("2024-01-01"), 4)])
    assert_table(project.query(["customers"], grain="quarter"), ["period", "customers"], [(d("2024-01-01"), 4)])
    assert_table(project.query(["customers"]), ["customers"], [(4,)])


def test_week_across_a_month_boundary(project: SoundProject) -> None:
    # the range ends on the Sunday of the last week: an end on Monday 29 January would read only
    # that Monday of the week (a partial period, issue 14)
    table = project.query(["customers"], grain="week", start=d("2024-01-01"), end=d("2024-02-04"))
    assert_table(
        table,
        ["period", "customers"],
        [
            (d("2024-01-01"), 3),  # Jan 1 and 2: {1, 2, 3} (2 + 2 by day)
            (d("2024-01-08"), 0),
            (d("2024-01-15"), 1),
            (d("2024-01-22"), 0),
            (d("2024-01-29"), 2),  # Feb 1 and Feb 3: {1, 4}
        ],
    )


def test_by_region(project: SoundProject) -> None:
    table = project.query(
        ["customers"], dimensions=["region"], grain="month", start=d("2024-01-01"), end=d("2024-01-31")
    )
    # January EU: {1, 2}; US: {1, 3}. Customer 1 is in both: the regions add up to 4, the month is 3
    assert_table(table, ["period", "region", "customers"], [(d("2024-01-01"), "EU", 2), (d("2024-01-01"), "US", 2)])
