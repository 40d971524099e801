"""A small shop whose KPI numbers can be worked out by hand, and stores to refresh it into.

Data (DuckDB, ``data/warehouse.duckdb``): table ``sales`` with one row per day
and region from 2024-01-01 to 2025-04-15:

- region NORTH: amount 10 every day;
- region SOUTH: amount 20 every day, and ``late`` = 1 on days whose day of the
  month is 1..6 (else 0).

Table ``visits``: one row per day (2024-01-01..2025-04-15), ``count`` = 100.
"""

from __future__ import annotations

import datetime as dt
import secrets
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

FIRST = dt.date(2024, 1, 1)
LAST = dt.date(2025, 4, 15)

PROJECT = """
name: shop
evaluation:
  as_of: latest_data
refresh:
  lookback_days: 2
"""

MODELS = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: lines, agg: count}
      - {name: late_lines, agg: count, filter: late = 1}
  - name: visits
    table: visits
    time: visit_day
    dimensions:
      - {name: visit_day, column: day, type: time}
    measures:
      - {name: visits, agg: sum, expr: count}

metrics:
  - {name: revenue, measure: revenue, default_grain: month}
  - {name: lines, measure: lines}
  - {name: late_lines, measure: late_lines}
  - {name: late_rate, type: ratio, numerator: late_lines, denominator: lines, direction: lower}
  - {name: visits, measure: visits}

objectives:
  - {name: grow, owner: CEO}

kpis:
  - name: q_revenue
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 2700}
  - name: q_growth
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {change: "+10%", vs: previous_period}
  - name: q1_done
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: 2025-Q1
    review_cadence: monthly
    target: {at_least: 2800}
  - name: by_region
    metric: revenue
    segment_by: region
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    targets:
      - {segment: NORTH, at_least: 1000}
      - {segment: SOUTH, at_least: 1820}
  - name: lateness
    metric: late_rate
    objective: grow
    owner: Operations
    timeframe: month
    review_cadence: weekly
    target: {at_most: 0.1}
  - name: nowhere
    metric: revenue
    segment: region = 'WEST'
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 1}
  - name: later
    metric: visits
    objective: grow
    owner: Marketing
    timeframe: 2030-Q1
    review_cadence: monthly
    target: {at_least: 1}
"""


def write_data(database: Path, last: dt.date = LAST, scale: float = 1.0) -> None:
    con = duckdb.connect(str(database))
    try:
        con.execute("CREATE OR REPLACE TABLE sales (day DATE, region VARCHAR, amount DOUBLE, late INTEGER)")
        con.execute(
            """
            INSERT INTO sales
            SELECT d::DATE, r.region, r.amount * ?, CASE WHEN r.region = 'SOUTH' AND day(d) <= 6 THEN 1 ELSE 0 END
            FROM range(?::DATE, ?::DATE + 1, INTERVAL 1 DAY) AS t(d),
                 (VALUES ('NORTH', 10.0), ('SOUTH', 20.0)) AS r(region, amount)
            """,
            [scale, FIRST, last],
        )
        con.execute("CREATE OR REPLACE TABLE visits (day DATE, count INTEGER)")
        con.execute(
            "INSERT INTO visits SELECT d::DATE, 100 FROM range(?::DATE, ?::DATE + 1, INTERVAL 1 DAY) AS t(d)",
            [FIRST, last],
        )
    finally:
        con.close()


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "onpace.yml").write_text(textwrap.dedent(PROJECT), encoding="utf-8")
    (root / "models" / "shop.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    write_data(root / "data" / "warehouse.duckdb")
    return root


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store: an SQLite file, or a fresh PostgreSQL database (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    import psycopg

    base = request.getfixturevalue("pg_url")
    name = f"onpace_services_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
