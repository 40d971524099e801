"""The TPC-H example's metrics by month and region, as an analyst would write them in DuckDB SQL.

Written from the metric definitions (src/onpace/examples/tpch/models/*.yml) and the rules in
docs/engine-contract.md, never from the engine's code: it is the independent answer the engine
is checked against (tests/examples) and timed against (benchmarks/engine.py).

Rules it follows:
- range = min..max of o_orderdate; every month from the one holding the first day to the one
  holding the last, times every region seen in the range; sums and counts are 0 where there is no data, ratios null on a 0 denominator;
- line items get their date (o_orderdate) and region through orders -> customer -> nation -> region,
  many-to-one, and are aggregated apart from the order-level measures (no fan-out);
- trailing 28 days and month to date come from a dense daily series per region, read as of the
  last day of the month, or the last day with line-item data when that is earlier;
- year-over-year growth = revenue / revenue of the month a year earlier - 1 (null without a
  prior value or when it is 0);
- the median is continuous, taken over doubles (DuckDB's median of a DECIMAL truncates the
  interpolated value to the column's scale).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow as pa

METRICS = (
    "revenue",
    "orders",
    "active_customers",
    "avg_order_value",
    "line_items",
    "on_time_line_items",
    "returned_line_items",
    "on_time_delivery_rate",
    "return_rate",
    "revenue_trailing_28d",
    "revenue_mtd",
    "revenue_yoy_growth",
    "median_order_total",
)

SQL = """
WITH
customer_region AS (
    SELECT c.c_custkey, r.r_name AS region
    FROM customer AS c
    LEFT JOIN nation AS n ON c.c_nationkey = n.n_nationkey
    LEFT JOIN region AS r ON n.n_regionkey = r.r_regionkey
),
order_facts AS (
    SELECT o.o_orderkey, o.o_custkey, o.o_totalprice, o.o_orderdate, cr.region
    FROM orders AS o
    LEFT JOIN customer_region AS cr ON o.o_custkey = cr.c_custkey
),
-- line items by order date and region: one pass over lineitem
line_daily AS (
    SELECT
        o.o_orderdate AS day,
        o.region,
        SUM(l.l_extendedprice * (1 - l.l_discount)) AS revenue,
        COUNT(*) AS line_items,
        COUNT(*) FILTER (WHERE l.l_receiptdate <= l.l_commitdate) AS on_time_line_items,
        COUNT(*) FILTER (WHERE l.l_returnflag = 'R') AS returned_line_items
    FROM lineitem AS l
    JOIN order_facts AS o ON l.l_orderkey = o.o_orderkey
    GROUP BY ALL
),
bounds AS (
    SELECT
        LEAST((SELECT MIN(o_orderdate) FROM orders), (SELECT MIN(day) FROM line_daily)) AS first_day,
        GREATEST((SELECT MAX(o_orderdate) FROM orders), (SELECT MAX(day) FROM line_daily)) AS last_day,
        (SELECT MAX(day) FROM line_daily) AS last_line_day
),
months AS (
    SELECT CAST(m AS DATE) AS period
    FROM bounds, UNNEST(generate_series(date_trunc('month', first_day), last_day, INTERVAL 1 MONTH)) AS t(m)
),
regions AS (
    SELECT DISTINCT region FROM order_facts, bounds WHERE o_orderdate BETWEEN first_day AND last_day
    UNION
    SELECT DISTINCT region FROM line_daily, bounds WHERE day BETWEEN first_day AND last_day
),
spine AS (
    SELECT period, region FROM months CROSS JOIN regions
),
line_monthly AS (
    SELECT
        CAST(date_trunc('month', day) AS DATE) AS period,
        region,
        SUM(revenue) AS revenue,
        SUM(line_items) AS line_items,
        SUM(on_time_line_items) AS on_time_line_items,
        SUM(returned_line_items) AS returned_line_items
    FROM line_daily
    GROUP BY ALL
),
order_monthly AS (
    SELECT
        CAST(date_trunc('month', o_orderdate) AS DATE) AS period,
        region,
        COUNT(DISTINCT o_orderkey) AS orders,
        COUNT(DISTINCT o_custkey) AS active_customers,
        MEDIAN(CAST(o_totalprice AS DOUBLE)) AS median_order_total
    FROM order_facts
    GROUP BY ALL
),
-- dense daily revenue per region, for the trailing window and month to date
daily_dense AS (
    SELECT CAST(d AS DATE) AS day, rg.region, COALESCE(ld.revenue, 0) AS revenue
    FROM bounds
    CROSS JOIN UNNEST(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS t(d)
    CROSS JOIN regions AS rg
    LEFT JOIN line_daily AS ld ON ld.day = CAST(d AS DATE) AND ld.region IS NOT DISTINCT FROM rg.region
),
cumulative AS (
    SELECT
        day,
        region,
        SUM(revenue) OVER (PARTITION BY region ORDER BY day ROWS BETWEEN 27 PRECEDING AND CURRENT ROW)
            AS revenue_trailing_28d,
        SUM(revenue) OVER (PARTITION BY region, date_trunc('month', day) ORDER BY day ROWS UNBOUNDED PRECEDING)
            AS revenue_mtd
    FROM daily_dense
),
filled AS (
    SELECT
        s.period,
        s.region,
        COALESCE(lm.revenue, 0) AS revenue,
        COALESCE(om.orders, 0) AS orders,
        COALESCE(om.active_customers, 0) AS active_customers,
        COALESCE(lm.line_items, 0) AS line_items,
        COALESCE(lm.on_time_line_items, 0) AS on_time_line_items,
        COALESCE(lm.returned_line_items, 0) AS returned_line_items,
        om.median_order_total
    FROM spine AS s
    LEFT JOIN line_monthly AS lm ON lm.period = s.period AND lm.region IS NOT DISTINCT FROM s.region
    LEFT JOIN order_monthly AS om ON om.period = s.period AND om.region IS NOT DISTINCT FROM s.region
)
SELECT
    f.period,
    f.region,
    CAST(f.revenue AS DOUBLE) AS revenue,
    CAST(f.orders AS BIGINT) AS orders,
    CAST(f.active_customers AS BIGINT) AS active_customers,
    CAST(f.revenue AS DOUBLE) / NULLIF(f.orders, 0) AS avg_order_value,
    CAST(f.line_items AS BIGINT) AS line_items,
    CAST(f.on_time_line_items AS BIGINT) AS on_time_line_items,
    CAST(f.returned_line_items AS BIGINT) AS returned_line_items,
    CAST(f.on_time_line_items AS DOUBLE) / NULLIF(f.line_items, 0) AS on_time_delivery_rate,
    CAST(f.returned_line_items AS DOUBLE) / NULLIF(f.line_items, 0) AS return_rate,
    CAST(c.revenue_trailing_28d AS DOUBLE) AS revenue_trailing_28d,
    CAST(c.revenue_mtd AS DOUBLE) AS revenue_mtd,
    CAST(f.revenue AS DOUBLE) / NULLIF(CAST(prior.revenue AS DOUBLE), 0) - 1 AS revenue_yoy_growth,
    f.median_order_total
FROM filled AS f
CROSS JOIN bounds AS b
LEFT JOIN cumulative AS c
    ON c.region IS NOT DISTINCT FROM f.region
    AND c.day = LEAST(CAST(f.period + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE), b.last_line_day)
LEFT JOIN filled AS prior
    ON prior.period = CAST(f.period - INTERVAL 1 YEAR AS DATE) AND prior.region IS NOT DISTINCT FROM f.region
ORDER BY f.period, f.region NULLS LAST
"""


def run(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The example's metrics by month and region (columns: period, region, then METRICS)."""
    return con.sql(SQL).to_arrow_table()


def compute(database: Path) -> pa.Table:
    """Open the example's DuckDB file read-only and run the query."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        return run(con)
    finally:
        con.close()


if __name__ == "__main__":
    print(compute(Path(sys.argv[1])).to_pandas().head(20))
