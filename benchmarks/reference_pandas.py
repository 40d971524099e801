"""The TPC-H example's metrics by month and region, in plain pandas.

Same rules and output as reference_sql.py (see its docstring). Tables are read from DuckDB as
Arrow, decimals cast to float64 and dates kept as datetime64 (pandas would otherwise hold them
as Python objects, ten times slower).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from reference_sql import METRICS

COLUMNS = {
    "lineitem": ["l_orderkey", "l_extendedprice", "l_discount", "l_receiptdate", "l_commitdate", "l_returnflag"],
    "orders": ["o_orderkey", "o_custkey", "o_totalprice", "o_orderdate"],
    "customer": ["c_custkey", "c_nationkey"],
    "nation": ["n_nationkey", "n_regionkey"],
    "region": ["r_regionkey", "r_name"],
}


def _read(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    arrow = con.sql(f"SELECT {', '.join(COLUMNS[table])} FROM {table}").to_arrow_table()
    for i, field in enumerate(arrow.schema):
        if pa.types.is_decimal(field.type):
            arrow = arrow.set_column(i, field.name, pc.cast(arrow.column(i), pa.float64()))
    return arrow.to_pandas(date_as_object=False)


def run(con: duckdb.DuckDBPyConnection) -> pa.Table:
    t = {name: _read(con, name) for name in COLUMNS}

    nations = t["nation"].merge(t["region"], left_on="n_regionkey", right_on="r_regionkey", how="left")
    customers = t["customer"].merge(nations, left_on="c_nationkey", right_on="n_nationkey", how="left")
    orders = (
        t["orders"]
        .merge(customers[["c_custkey", "r_name"]], left_on="o_custkey", right_on="c_custkey", how="left")
        .rename(columns={"r_name": "region"})
    )
    orders["period"] = orders["o_orderdate"].dt.to_period("M").dt.to_timestamp()

    lines = t["lineitem"].merge(
        orders[["o_orderkey", "o_orderdate", "region"]], left_on="l_orderkey", right_on="o_orderkey", how="inner"
    )
    lines["revenue"] = lines["l_extendedprice"] * (1 - lines["l_discount"])
    lines["on_time"] = (lines["l_receiptdate"] <= lines["l_commitdate"]).astype("int64")
    lines["returned"] = (lines["l_returnflag"] == "R").astype("int64")
    daily = (
        lines.groupby(["o_orderdate", "region"], dropna=False)
        .agg(
            revenue=("revenue", "sum"),
            line_items=("revenue", "size"),
            on_time_line_items=("on_time", "sum"),
            returned_line_items=("returned", "sum"),
        )
        .reset_index()
        .rename(columns={"o_orderdate": "day"})
    )

    first_day = min(orders["o_orderdate"].min(), daily["day"].min())
    last_day = max(orders["o_orderdate"].max(), daily["day"].max())
    last_line_day = daily["day"].max()
    periods = pd.date_range(first_day.to_period("M").to_timestamp(), last_day, freq="MS")
    regions = sorted(set(orders["region"].dropna()) | set(daily["region"].dropna()))
    spine = pd.MultiIndex.from_product([periods, regions], names=["period", "region"])

    daily["period"] = daily["day"].dt.to_period("M").dt.to_timestamp()
    line_monthly = daily.groupby(["period", "region"]).agg(
        revenue=("revenue", "sum"),
        line_items=("line_items", "sum"),
        on_time_line_items=("on_time_line_items", "sum"),
        returned_line_items=("returned_line_items", "sum"),
    )
    order_monthly = orders.groupby(["period", "region"]).agg(
        orders=("o_orderkey", "nunique"),
        active_customers=("o_custkey", "nunique"),
        median_order_total=("o_totalprice", "median"),
    )
    out = pd.DataFrame(index=spine).join(line_monthly).join(order_monthly)
    for name in ("revenue", "orders", "active_customers", "line_items", "on_time_line_items", "returned_line_items"):
        out[name] = out[name].fillna(0)

    # dense daily revenue per region -> trailing 28 days and month to date
    days = pd.date_range(first_day, last_day, freq="D")
    dense = (
        daily.set_index(["day", "region"])["revenue"]
        .reindex(pd.MultiIndex.from_product([days, regions], names=["day", "region"]), fill_value=0.0)
        .reset_index()
        .sort_values(["region", "day"], kind="stable")
    )
    dense["revenue_trailing_28d"] = (
        dense.groupby("region")["revenue"].rolling(28, min_periods=1).sum().reset_index(level=0, drop=True)
    )
    dense["revenue_mtd"] = dense.groupby(["region", dense["day"].dt.to_period("M")])["revenue"].cumsum()
    as_of = pd.Series(periods + pd.offsets.MonthEnd(0), index=periods).clip(upper=last_line_day)
    out["as_of"] = as_of.reindex(out.index.get_level_values("period")).to_numpy()
    cumulative = dense.set_index(["day", "region"])[["revenue_trailing_28d", "revenue_mtd"]]
    picked = cumulative.reindex(pd.MultiIndex.from_arrays([out["as_of"], out.index.get_level_values("region")]))
    out["revenue_trailing_28d"] = picked["revenue_trailing_28d"].to_numpy()
    out["revenue_mtd"] = picked["revenue_mtd"].to_numpy()

    prior_index = pd.MultiIndex.from_arrays(
        [
            out.index.get_level_values("period") - pd.DateOffset(years=1),
            out.index.get_level_values("region"),
        ]
    )
    prior = out["revenue"].reindex(prior_index).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["revenue_yoy_growth"] = np.where(prior == 0, np.nan, out["revenue"].to_numpy() / prior - 1)
    out["avg_order_value"] = out["revenue"] / out["orders"].where(out["orders"] != 0)
    out["on_time_delivery_rate"] = out["on_time_line_items"] / out["line_items"].where(out["line_items"] != 0)
    out["return_rate"] = out["returned_line_items"] / out["line_items"].where(out["line_items"] != 0)

    out = out.reset_index()
    out["period"] = out["period"].dt.date
    types = {m: pa.int64() if m in COUNTS else pa.float64() for m in METRICS}
    schema = pa.schema([("period", pa.date32()), ("region", pa.string()), *types.items()])
    return pa.Table.from_pandas(out[["period", "region", *METRICS]], schema=schema, preserve_index=False)


COUNTS = {"orders", "active_customers", "line_items", "on_time_line_items", "returned_line_items"}


def compute(database: Path) -> pa.Table:
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        return run(con)
    finally:
        con.close()


if __name__ == "__main__":
    print(compute(Path(sys.argv[1])).to_pandas().head(20))
