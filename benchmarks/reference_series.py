"""The TPC-H example's stored series, one hand-written DuckDB query per series.

A refresh of the example stores each metric at some grains, over the whole data or over one
segment (``region = 'EUROPE'``): :func:`onpace.services.needs.series_needed` lists them. This
module writes, for one (metric, grain, segment), the query an analyst would run for that series
alone: the baseline of benchmarks/shared.py (one query per series against onpace's shared scans)
and the independent answer tests/examples/test_series_reference.py checks the stored values with.

Written from the definitions (src/onpace/examples/tpch/models/*.yml, onpace.yml's calendar) and
the documented rules (docs/definitions.md, docs/engine-contract.md, the refresh rules in the
docstring of src/onpace/services/refresh.py), never from the engine's code. The rules, in the
style of benchmarks/reference_sql.py:

- a line item gets its day (o_orderdate) through its order, and its region through
  orders -> customer -> nation -> region: many-to-one joins, nothing fans out; order-level
  measures are aggregated from orders apart from line-level ones;
- a series runs from the period holding the first day with data to the period holding the
  last: the days of the rows of the metric's datasets (both datasets for a ratio across them),
  after the segment's filter (a segment's series covers the segment's own days with data);
- periods are named by their first day; weeks start on Monday; fiscal quarters and years
  start in the month of FISCAL_YEAR_START (onpace.yml: April), so fiscal year 1991 is
  1991-04-01..1992-03-31;
- sums and counts are 0 in a period without rows, a median is null there; a ratio is null on
  a 0 denominator;
- a cumulative metric is read from a dense daily series as of the period's last day, or the
  last day with data when that is earlier; the 28-day window is the 28 days ending on that day,
  month to date runs from the first day of its month;
- year-over-year growth = revenue / revenue of the period starting a year earlier - 1, null
  without a prior value or when it is 0;
- the median is continuous, over doubles (DuckDB's median of a DECIMAL truncates to its scale).

Every value is a DOUBLE, as the store keeps it; ``period`` is a DATE.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

FISCAL_YEAR_START = 4  # onpace.yml: calendar.fiscal_year_start (month 1-12)

# grain -> the length of one period, as a DuckDB interval
STEP = {
    "day": "1 DAY",
    "week": "7 DAY",
    "month": "1 MONTH",
    "quarter": "3 MONTH",
    "year": "1 YEAR",
    "fiscal_quarter": "3 MONTH",
    "fiscal_year": "1 YEAR",
}

_SEGMENT = re.compile(r"^region = '(?P<region>[^']*)'$")


class NoReference(LookupError):
    """No hand-written query exists for this series (a metric, grain or segment not written here)."""


def period_start(value: str, grain: str) -> str:
    """SQL for the first day of the ``grain`` period holding the date ``value``."""
    if grain == "day":
        return f"CAST({value} AS DATE)"
    if grain in ("week", "month", "quarter", "year"):  # DuckDB's weeks are ISO weeks: Monday first
        return f"CAST(date_trunc('{grain}', CAST({value} AS DATE)) AS DATE)"
    if grain in ("fiscal_quarter", "fiscal_year"):
        # the month the period starts in, from the months since the fiscal year's first month (integer
        # arithmetic: moving dates by INTERVAL n MONTH costs more than the rest of the query); the year
        # before when that month comes after the day's own
        day = f"CAST({value} AS DATE)"
        since = f"((month({day}) - {FISCAL_YEAR_START} + 12) % 12)"
        first = (
            str(FISCAL_YEAR_START)
            if grain == "fiscal_year"
            else f"(({FISCAL_YEAR_START - 1} + {since} // 3 * 3) % 12 + 1)"
        )
        return f"make_date(year({day}) - CAST({first} > month({day}) AS INTEGER), {first}, 1)"
    raise NoReference(f"no hand-written period for the grain '{grain}'")


def period_end(value: str, grain: str) -> str:
    """SQL for the last day of the ``grain`` period starting on ``value``."""
    return f"CAST({value} + INTERVAL {STEP[grain]} - INTERVAL 1 DAY AS DATE)"


# -- the rows of each dataset, with the segment's joins and filter -----------------------------------
def _segment(segment: str) -> tuple[str, str]:
    """The joins from an order to its region, and the WHERE clause, for ``segment`` ('' for none)."""
    if not segment:
        return "", ""
    match = _SEGMENT.match(segment)
    if match is None:
        raise NoReference(f"no hand-written filter for the segment {segment!r}")
    joins = """
        JOIN customer AS c ON c.c_custkey = o.o_custkey
        JOIN nation AS n ON n.n_nationkey = c.c_nationkey
        JOIN region AS r ON r.r_regionkey = n.n_regionkey"""
    return joins, f"\n        WHERE r.r_name = '{match['region']}'"


LINE_COLUMNS = {
    "revenue": "l.l_extendedprice * (1 - l.l_discount) AS revenue",
    "on_time": "l.l_receiptdate <= l.l_commitdate AS on_time",
    "returned": "l.l_returnflag = 'R' AS returned",
}
ORDER_COLUMNS = {
    "o_orderkey": "o.o_orderkey",
    "o_custkey": "o.o_custkey",
    "total": "CAST(o.o_totalprice AS DOUBLE) AS total",
}


def _lines(segment: str, *columns: str) -> str:
    """CTE ``lines``: the line items (of the segment) with their day and the ``columns`` a query needs."""
    joins, where = _segment(segment)
    selected = "".join(f", {LINE_COLUMNS[name]}" for name in columns)
    return f"""
    lines AS (
        SELECT o.o_orderdate AS day{selected}
        FROM lineitem AS l
        JOIN orders AS o ON o.o_orderkey = l.l_orderkey{joins}{where}
    )"""


def _orders(segment: str, *columns: str) -> str:
    """CTE ``order_rows``: the orders (of the segment) with their day and the ``columns`` a query needs."""
    joins, where = _segment(segment)
    selected = "".join(f", {ORDER_COLUMNS[name]}" for name in columns)
    return f"""
    order_rows AS (
        SELECT o.o_orderdate AS day{selected}
        FROM orders AS o{joins}{where}
    )"""


def _periods(grain: str, *aggregated: str) -> str:
    """CTE ``periods``: every period from the first to the last of the ``aggregated`` CTEs' ``period``.

    A period is in an aggregate when a row fell in it (a metric's own filter hides no row here),
    so these are the periods holding the first and the last day with data.
    """
    ends = " UNION ALL ".join(f"SELECT MIN(period) AS lo, MAX(period) AS hi FROM {name}" for name in aggregated)
    return f"""
    periods AS (
        SELECT CAST(p AS DATE) AS period
        FROM (SELECT MIN(lo) AS first_period, MAX(hi) AS last_period FROM ({ends})),
        UNNEST(generate_series(
            CAST(first_period AS TIMESTAMP), CAST(last_period AS TIMESTAMP), INTERVAL {STEP[grain]})) AS t(p)
    )"""


def _by_period(grain: str, rows: str, name: str, aggregates: str) -> str:
    """CTE ``name``: ``aggregates`` of ``rows`` by the period of their day (only periods with rows)."""
    return f"""
    {name} AS (
        SELECT {period_start("day", grain)} AS period, {aggregates} FROM {rows} GROUP BY 1
    )"""


# -- templates: one per kind of metric ---------------------------------------------------------------
Template = Callable[[str, str], str]  # (grain, segment) -> SQL with columns period, value

# each query reads only the columns it needs, as a person writing it for one series would
LINE_AGGREGATES = {  # (aggregate, columns of lines it reads): 0 in a period without line items
    "revenue": ("SUM(revenue)", ("revenue",)),
    "line_items": ("COUNT(*)", ()),
    "on_time_line_items": ("COUNT(*) FILTER (WHERE on_time)", ("on_time",)),
    "returned_line_items": ("COUNT(*) FILTER (WHERE returned)", ("returned",)),
}
ORDER_AGGREGATES = {  # (aggregate, columns of order_rows it reads, value of a period without orders)
    "orders": ("COUNT(DISTINCT o_orderkey)", ("o_orderkey",), "0"),
    "active_customers": ("COUNT(DISTINCT o_custkey)", ("o_custkey",), "0"),
    "median_order_total": ("MEDIAN(total)", ("total",), "NULL"),
}
LINE_RATIOS = {  # (numerator, denominator, columns of lines they read): line-item counts
    "on_time_delivery_rate": ("COUNT(*) FILTER (WHERE on_time)", "COUNT(*)", ("on_time",)),
    "return_rate": ("COUNT(*) FILTER (WHERE returned)", "COUNT(*)", ("returned",)),
}
CUMULATIVE = {  # the window over a dense daily series of revenue
    "revenue_trailing_28d": "ORDER BY day ROWS BETWEEN 27 PRECEDING AND CURRENT ROW",
    "revenue_mtd": "PARTITION BY date_trunc('month', day) ORDER BY day ROWS UNBOUNDED PRECEDING",
}


def _line_sum(aggregate: str, columns: tuple[str, ...]) -> Template:
    def sql(grain: str, segment: str) -> str:
        by_period = _by_period(grain, "lines", "by_period", f"{aggregate} AS value")
        return f"""
WITH {_lines(segment, *columns)},{by_period},{_periods(grain, "by_period")}
SELECT p.period, CAST(COALESCE(b.value, 0) AS DOUBLE) AS value
FROM periods AS p LEFT JOIN by_period AS b ON b.period = p.period
ORDER BY p.period"""

    return sql


def _order_aggregate(aggregate: str, columns: tuple[str, ...], empty: str) -> Template:
    def sql(grain: str, segment: str) -> str:
        by_period = _by_period(grain, "order_rows", "by_period", f"{aggregate} AS value")
        return f"""
WITH {_orders(segment, *columns)},{by_period},{_periods(grain, "by_period")}
SELECT p.period, CAST(COALESCE(b.value, {empty}) AS DOUBLE) AS value
FROM periods AS p LEFT JOIN by_period AS b ON b.period = p.period
ORDER BY p.period"""

    return sql


def _line_ratio(numerator: str, denominator: str, columns: tuple[str, ...]) -> Template:
    def sql(grain: str, segment: str) -> str:
        aggregates = f"{numerator} AS num, {denominator} AS den"
        return f"""
WITH {_lines(segment, *columns)},{_by_period(grain, "lines", "by_period", aggregates)},{_periods(grain, "by_period")}
SELECT p.period, CAST(b.num AS DOUBLE) / NULLIF(b.den, 0) AS value
FROM periods AS p LEFT JOIN by_period AS b ON b.period = p.period
ORDER BY p.period"""

    return sql


def _avg_order_value(grain: str, segment: str) -> str:
    """revenue (line items) / orders (orders): each aggregated on its own, then joined on the period."""
    revenue = _by_period(grain, "lines", "revenue_by_period", "SUM(revenue) AS revenue")
    orders = _by_period(grain, "order_rows", "orders_by_period", "COUNT(DISTINCT o_orderkey) AS orders")
    return f"""
WITH {_lines(segment, "revenue")},{_orders(segment, "o_orderkey")},{revenue},{orders},
    {_periods(grain, "revenue_by_period", "orders_by_period").lstrip()}
SELECT p.period, CAST(COALESCE(r.revenue, 0) AS DOUBLE) / NULLIF(COALESCE(o.orders, 0), 0) AS value
FROM periods AS p
LEFT JOIN revenue_by_period AS r ON r.period = p.period
LEFT JOIN orders_by_period AS o ON o.period = p.period
ORDER BY p.period"""


def _cumulative(window: str) -> Template:
    def sql(grain: str, segment: str) -> str:
        if segment:  # which last day with data bounds the as-of day of a segment: not written here
            raise NoReference("no hand-written cumulative metric over a segment")
        return f"""
WITH {_lines(segment, "revenue")},
    daily AS (
        SELECT day, SUM(revenue) AS revenue FROM lines GROUP BY day
    ),
    bounds AS (
        SELECT MIN(day) AS first_day, MAX(day) AS last_day FROM daily
    ),
    dense AS (
        SELECT CAST(d AS DATE) AS day, COALESCE(daily.revenue, 0) AS revenue
        FROM bounds
        CROSS JOIN UNNEST(generate_series(
            CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP), INTERVAL 1 DAY)) AS t(d)
        LEFT JOIN daily ON daily.day = CAST(d AS DATE)
    ),
    windowed AS (
        SELECT day, {period_start("day", grain)} AS period, SUM(revenue) OVER ({window}) AS value FROM dense
    ),{_periods(grain, "windowed")}
SELECT p.period, CAST(w.value AS DOUBLE) AS value
FROM periods AS p
CROSS JOIN bounds AS b
LEFT JOIN windowed AS w ON w.day = LEAST({period_end("p.period", grain)}, b.last_day)
ORDER BY p.period"""

    return sql


def _revenue_yoy_growth(grain: str, segment: str) -> str:
    if segment:
        raise NoReference("no hand-written derived metric over a segment")
    prior = period_start("p.period - INTERVAL 1 YEAR", grain)
    by_period = _by_period(grain, "lines", "by_period", "SUM(revenue) AS revenue")
    return f"""
WITH {_lines(segment, "revenue")},{by_period},{_periods(grain, "by_period")}
SELECT
    p.period,
    CAST(COALESCE(b.revenue, 0) AS DOUBLE) / NULLIF(CAST(prior.revenue AS DOUBLE), 0) - 1 AS value
FROM periods AS p
LEFT JOIN by_period AS b ON b.period = p.period
LEFT JOIN by_period AS prior ON prior.period = {prior}
ORDER BY p.period"""


TEMPLATES: dict[str, Template] = {
    **{name: _line_sum(*spec) for name, spec in LINE_AGGREGATES.items()},
    **{name: _order_aggregate(*spec) for name, spec in ORDER_AGGREGATES.items()},
    **{name: _line_ratio(*spec) for name, spec in LINE_RATIOS.items()},
    "avg_order_value": _avg_order_value,
    **{name: _cumulative(window) for name, window in CUMULATIVE.items()},
    "revenue_yoy_growth": _revenue_yoy_growth,
}


def series_sql(metric: str, grain: str, segment: str = "") -> str:
    """The hand-written query of one series (columns period, value); NoReference when there is none."""
    template = TEMPLATES.get(metric)
    if template is None:
        raise NoReference(f"no hand-written query for the metric '{metric}'")
    if grain not in STEP:
        raise NoReference(f"no hand-written period for the grain '{grain}'")
    return template(grain, segment)


def run(con: duckdb.DuckDBPyConnection, metric: str, grain: str, segment: str = "") -> pa.Table:
    """One series, fetched as Arrow: period (date32) and value (float64), by period."""
    return con.sql(series_sql(metric, grain, segment)).to_arrow_table()


if __name__ == "__main__":  # python benchmarks/reference_series.py DATABASE METRIC GRAIN [SEGMENT]
    metric, grain, segment = sys.argv[2], sys.argv[3], (sys.argv[4] if len(sys.argv) > 4 else "")
    print(series_sql(metric, grain, segment))
    connection = duckdb.connect(str(Path(sys.argv[1])), read_only=True)
    try:
        print(run(connection, metric, grain, segment).to_pandas())
    finally:
        connection.close()
