"""A tiny project whose KPIs have ``change`` targets against a fixed baseline period (``vs: {period: ...}``).

Table ``h_base_<random>(d, ch, amount)``, one row per channel and day:

- web: 10 a day, 2024-10-01..2025-05-15;
- store: 20 a day, 2024-10-01..2025-05-15;
- popup: 5 a day, 2024-11-01..2025-05-15 (it misses October 2024).

``evaluation.as_of: latest_data``: every KPI is judged as of 2025-05-15, in Q2 2025
(2025-04-01..2025-06-30, 91 days, 45 of them elapsed). The numbers, by hand, are in
tests/services/test_fixed_baseline.py.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import yaml

FIRST = dt.date(2024, 10, 1)
POPUP_FIRST = dt.date(2024, 11, 1)
LAST = dt.date(2025, 5, 15)

CHANNELS = (("web", 10, FIRST), ("store", 20, FIRST), ("popup", 5, POPUP_FIRST))

MODELS = """
datasets:
  - name: sales
    table: {table}
    time: day
    dimensions:
      - {{name: day, column: d, type: time}}
      - {{name: ch, column: ch}}
    measures:
      - {{name: revenue, agg: sum, expr: amount}}
      - {{name: sales_count, agg: count}}
metrics:
  - {{name: revenue, measure: revenue}}
  - {{name: sales_count, measure: sales_count}}
  - {{name: avg_sale, type: ratio, numerator: revenue, denominator: sales_count}}
objectives:
  - {{name: grow, owner: CEO}}
kpis:
  - name: growth
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {{change: "+15%", vs: {{period: 2024-10-01}}}}
  - name: avg_sale_growth
    metric: avg_sale
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {{change: "+15%", vs: {{period: "2024-11-20"}}}}
  - name: by_channel
    metric: revenue
    segment_by: ch
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    targets:
      - {{segment: web, change: "+5%", vs: {{period: 2024-10-01}}}}
      - {{segment: store, change: "-10%", vs: {{period: 2024-10-01}}}}
      - {{segment: popup, change: "+15%", vs: {{period: 2024-10-01}}}}
  - name: from_september
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    target: {{change: "+10%", vs: {{period: 2024-09-15}}}}
"""

COLUMN_TYPES = {
    "duckdb": ("DATE", "VARCHAR", "INTEGER"),
    "postgres": ("DATE", "VARCHAR(16)", "INTEGER"),
    "mysql": ("DATE", "VARCHAR(16)", "INTEGER"),
}


def rows() -> list[tuple[dt.date, str, int]]:
    out = []
    for channel, amount, first in CHANNELS:
        day = first
        while day <= LAST:
            out.append((day, channel, amount))
            day += dt.timedelta(days=1)
    return out


def create_sql(dialect: str, table: str) -> str:
    columns = ", ".join(f"{c} {t}" for c, t in zip(("d", "ch", "amount"), COLUMN_TYPES[dialect], strict=True))
    return f"CREATE TABLE {table} ({columns})"


def spark_fields() -> list[Any]:
    from pyspark.sql import types as T

    return [
        T.StructField("d", T.DateType()),
        T.StructField("ch", T.StringType()),
        T.StructField("amount", T.IntegerType()),
    ]


def write_project(root: Path, url: str, table: str) -> Path:
    (root / "models").mkdir(parents=True, exist_ok=True)
    config = {
        "name": "fixed_baseline",
        "sources": {"warehouse": {"url": url}},
        "evaluation": {"as_of": "latest_data"},
    }
    (root / "onpace.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (root / "models" / "sales.yml").write_text(textwrap.dedent(MODELS.format(table=table)), encoding="utf-8")
    return root
