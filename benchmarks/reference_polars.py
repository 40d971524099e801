"""The TPC-H example's metrics by month and region, as one polars lazy query.

Same rules and output as reference_sql.py (see its docstring). Tables are read from DuckDB as
Arrow; decimals are cast to Float64 first (polars rounds decimal products to the inputs' scale).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
from reference_sql import METRICS

COLUMNS = {
    "lineitem": ["l_orderkey", "l_extendedprice", "l_discount", "l_receiptdate", "l_commitdate", "l_returnflag"],
    "orders": ["o_orderkey", "o_custkey", "o_totalprice", "o_orderdate"],
    "customer": ["c_custkey", "c_nationkey"],
    "nation": ["n_nationkey", "n_regionkey"],
    "region": ["r_regionkey", "r_name"],
}
COUNTS = ("orders", "active_customers", "line_items", "on_time_line_items", "returned_line_items")


def _scan(con: duckdb.DuckDBPyConnection, table: str) -> pl.LazyFrame:
    frame = pl.from_arrow(con.sql(f"SELECT {', '.join(COLUMNS[table])} FROM {table}").to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.lazy().with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def run(con: duckdb.DuckDBPyConnection) -> pa.Table:
    t = {name: _scan(con, name) for name in COLUMNS}

    customer_region = (
        t["customer"]
        .join(t["nation"], left_on="c_nationkey", right_on="n_nationkey", how="left")
        .join(t["region"], left_on="n_regionkey", right_on="r_regionkey", how="left")
        .select("c_custkey", pl.col("r_name").alias("region"))
    )
    orders = t["orders"].join(customer_region, left_on="o_custkey", right_on="c_custkey", how="left")
    daily = (
        t["lineitem"]
        .join(orders.select("o_orderkey", "o_orderdate", "region"), left_on="l_orderkey", right_on="o_orderkey")
        .group_by(pl.col("o_orderdate").alias("day"), "region")
        .agg(
            (pl.col("l_extendedprice") * (1 - pl.col("l_discount"))).sum().alias("revenue"),
            pl.len().cast(pl.Int64).alias("line_items"),
            (pl.col("l_receiptdate") <= pl.col("l_commitdate")).sum().cast(pl.Int64).alias("on_time_line_items"),
            (pl.col("l_returnflag") == "R").sum().cast(pl.Int64).alias("returned_line_items"),
        )
    )

    line_days = daily.select(last_line_day=pl.col("day").max())
    bounds = (
        pl.concat([orders.select(day=pl.col("o_orderdate")), daily.select("day")])
        .select(first_day=pl.col("day").min(), last_day=pl.col("day").max())
        .join(line_days, how="cross")
    )
    periods = (
        bounds.select(
            "first_day",
            "last_line_day",
            period=pl.date_ranges(pl.col("first_day").dt.truncate("1mo"), "last_day", "1mo"),
        )
        .explode("period")
        .select("period", as_of=pl.min_horizontal(pl.col("period").dt.month_end(), "last_line_day"))
    )
    days = bounds.select(day=pl.date_ranges("first_day", "last_day", "1d")).explode("day")
    regions = pl.concat([orders.select("region"), daily.select("region")]).unique()
    spine = periods.join(regions, how="cross")

    line_monthly = daily.group_by(pl.col("day").dt.truncate("1mo").alias("period"), "region").agg(
        pl.col("revenue", "line_items", "on_time_line_items", "returned_line_items").sum()
    )
    order_monthly = orders.group_by(pl.col("o_orderdate").dt.truncate("1mo").alias("period"), "region").agg(
        pl.col("o_orderkey").n_unique().cast(pl.Int64).alias("orders"),
        pl.col("o_custkey").n_unique().cast(pl.Int64).alias("active_customers"),
        pl.col("o_totalprice").median().alias("median_order_total"),
    )

    cumulative = (
        days.join(regions, how="cross")
        .join(daily.select("day", "region", "revenue"), on=["day", "region"], how="left", nulls_equal=True)
        .with_columns(pl.col("revenue").fill_null(0.0))
        .sort("region", "day")
        .select(
            "day",
            "region",
            pl.col("revenue").rolling_sum(28, min_samples=1).over("region").alias("revenue_trailing_28d"),
            pl.col("revenue").cum_sum().over("region", pl.col("day").dt.truncate("1mo")).alias("revenue_mtd"),
        )
    )

    out = (
        spine.join(line_monthly, on=["period", "region"], how="left", nulls_equal=True)
        .join(order_monthly, on=["period", "region"], how="left", nulls_equal=True)
        .with_columns(pl.col("revenue", *COUNTS).fill_null(0))
        .join(cumulative, left_on=["as_of", "region"], right_on=["day", "region"], how="left", nulls_equal=True)
    )
    prior = out.select(
        pl.col("period").dt.offset_by("1y").alias("period"), "region", pl.col("revenue").alias("prior_revenue")
    )
    result = (
        out.join(prior, on=["period", "region"], how="left", nulls_equal=True)
        .with_columns(
            avg_order_value=pl.col("revenue") / _nonzero("orders"),
            on_time_delivery_rate=pl.col("on_time_line_items") / _nonzero("line_items"),
            return_rate=pl.col("returned_line_items") / _nonzero("line_items"),
            revenue_yoy_growth=pl.col("revenue") / _nonzero("prior_revenue") - 1,
        )
        .sort("period", "region", nulls_last=True)
        .select("period", "region", *METRICS)
        .with_columns(pl.col(*COUNTS).cast(pl.Int64), pl.col(*(set(METRICS) - set(COUNTS))).cast(pl.Float64))
        .collect()
    )
    return result.to_arrow().cast(
        pa.schema(
            [("period", pa.date32()), ("region", pa.string())]
            + [(m, pa.int64() if m in COUNTS else pa.float64()) for m in METRICS]
        )
    )


def _nonzero(name: str) -> pl.Expr:
    return pl.when(pl.col(name) != 0).then(pl.col(name))


def compute(database: Path) -> pa.Table:
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        return run(con)
    finally:
        con.close()


if __name__ == "__main__":
    print(compute(Path(sys.argv[1])).to_pandas().head(20))
