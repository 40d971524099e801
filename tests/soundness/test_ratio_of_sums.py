"""Ratio metrics are the ratio of the sums over the whole period and group.

Not the average of daily (or per-row, or per-region) ratios, and not an
integer division when both sides are counts.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

VISITS = [
    {"day": d("2024-01-01"), "region": "EU", "visits": 10, "conversions": 5},  # 0.5
    {"day": d("2024-01-02"), "region": "EU", "visits": 90, "conversions": 9},  # 0.1
    {"day": d("2024-01-01"), "region": "US", "visits": 100, "conversions": 10},  # 0.1
    {"day": d("2024-01-03"), "region": "US", "visits": 50, "conversions": 25},  # 0.5
    {"day": d("2024-02-10"), "region": "EU", "visits": 40, "conversions": 4},  # 0.1
    {"day": d("2024-02-11"), "region": "US", "visits": 10, "conversions": 9},  # 0.9
]

MODELS = """
datasets:
  - name: traffic
    table: traffic
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
    measures:
      - {name: visits, agg: sum, expr: visits}
      - {name: conversions, agg: sum, expr: conversions}
metrics:
  - {name: visits, measure: traffic.visits}
  - {name: conversions, measure: traffic.conversions}
  - {name: conversion_rate, type: ratio, numerator: conversions, denominator: visits}
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"traffic": VISITS}, MODELS)


def test_month_by_region(project: SoundProject) -> None:
    table = project.query(["conversion_rate"], dimensions=["region"], grain="month")
    assert_table(
        table,
        ["period", "region", "conversion_rate"],
        [
            (d("2024-01-01"), "EU", 14 / 100),  # (5 + 9) / (10 + 90) = 0.14; average of daily ratios: 0.3
            (d("2024-01-01"), "US", 35 / 150),  # (10 + 25) / (100 + 50); average of daily ratios: 0.3
            (d("2024-02-01"), "EU", 4 / 40),
            (d("2024-02-01"), "US", 9 / 10),
        ],
    )


def test_month_without_dimension(project: SoundProject) -> None:
    table = project.query(["conversions", "visits", "conversion_rate"], grain="month")
    assert_table(
        table,
        ["period", "conversions", "visits", "conversion_rate"],
        [
            # January: 49 / 250 = 0.196; average of the regions' ratios: (0.14 + 0.2333) / 2 = 0.1867;
            # average of daily ratios: (15/110 + 9/90 + 25/50) / 3 = 0.2455
            (d("2024-01-01"), 49.0, 250.0, 49 / 250),
            # February: 13 / 50 = 0.26; average of daily ratios (0.1 + 0.9) / 2 = 0.5
            (d("2024-02-01"), 13.0, 50.0, 13 / 50),
        ],
    )
    # the same by hand-written SQL: one division per month, of the month's sums
    expected = project.reference(
        "select date_trunc('month', day)::date, sum(conversions) / sum(visits) from traffic group by 1 order by 1"
    )
    assert_table(table.select(["period", "conversion_rate"]), ["period", "conversion_rate"], expected)


def test_year_and_total(project: SoundProject) -> None:
    by_year = project.query(["conversion_rate"], dimensions=["region"], grain="year")
    assert_table(
        by_year,
        ["period", "region", "conversion_rate"],
        [
            (d("2024-01-01"), "EU", 18 / 140),  # (5 + 9 + 4) / (10 + 90 + 40); average of monthly ratios: 0.12
            (d("2024-01-01"), "US", 44 / 160),  # (10 + 25 + 9) / (100 + 50 + 10) = 0.275; monthly average 0.5667
        ],
    )
    total = project.query(["conversion_rate"])
    # (14 + 35 + 4 + 9) / (100 + 150 + 40 + 10) = 62 / 300; average of the 6 row ratios: 2.2 / 6 = 0.3667
    assert_table(total, ["conversion_rate"], [(62 / 300,)])
    by_region = project.query(["conversion_rate"], dimensions=["region"])
    assert_table(by_region, ["region", "conversion_rate"], [("EU", 18 / 140), ("US", 44 / 160)])


COUNT_MODELS = """
datasets:
  - name: deliveries
    table: deliveries
    time: shipped
    dimensions:
      - {name: shipped, column: shipped, type: time}
    measures:
      - {name: deliveries, agg: count}
      - {name: on_time, agg: count, filter: "delivered <= promised"}
metrics:
  - {name: deliveries, measure: deliveries.deliveries}
  - {name: on_time, measure: deliveries.on_time}
  - {name: on_time_rate, type: ratio, numerator: on_time, denominator: deliveries}
"""


def test_ratio_of_counts_is_not_integer_division(make_project: MakeProject) -> None:
    rows = [
        {"shipped": d("2024-01-02"), "delivered": d("2024-01-05"), "promised": d("2024-01-06")},  # on time
        {"shipped": d("2024-01-03"), "delivered": d("2024-01-09"), "promised": d("2024-01-06")},  # late
        {"shipped": d("2024-01-04"), "delivered": d("2024-01-08"), "promised": d("2024-01-07")},  # late
        {"shipped": d("2024-02-01"), "delivered": d("2024-02-02"), "promised": d("2024-02-02")},  # on time
        {"shipped": d("2024-02-02"), "delivered": d("2024-02-03"), "promised": d("2024-02-05")},  # on time
        {"shipped": d("2024-02-03"), "delivered": d("2024-02-09"), "promised": d("2024-02-05")},  # late
    ]
    project = make_project({"deliveries": rows}, COUNT_MODELS)
    table = project.query(["on_time", "deliveries", "on_time_rate"], grain="month", start=d("2024-01-01"))
    assert_table(
        table,
        ["period", "on_time", "deliveries", "on_time_rate"],
        [
            # 1 / 3 (integer division: 0; counting every row with a non-null comparison: 3 / 3 = 1)
            (d("2024-01-01"), 1, 3, 1 / 3),
            # 2 / 3 (integer division: 0)
            (d("2024-02-01"), 2, 3, 2 / 3),
        ],
    )
