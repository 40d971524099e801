"""Semi-additive metrics per entity (issue 14), the same on every engine.

Two warehouses count their stock on different days: 'a' about every ten days and at
month end, 'b' weekly; some stock has no warehouse (null). Without ``per``, ``last``
takes the rows at the latest snapshot day of the period over all rows (January:
2024-01-31, so only 'a' counts: 315), and ``avg`` divides by every snapshot day of the
period (6 in January), diluting a warehouse counted less often. With ``per:
[warehouse]`` each warehouse's own last (first) snapshot in the period counts, and
``avg`` is each warehouse's average over its own snapshot days; the warehouses' values
are then summed (January's stock: 315 + 128 + 7 = 450). A warehouse with no snapshot
in a period adds nothing to it (no carry-forward). At day grain a metric with ``per`` is the
level as of each day: each warehouse's latest snapshot on or before it, carried forward.

Every expected number is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.engine.check import check_sources
from onpace.errors import DefinitionError, QueryError

from .helpers import assert_table, backend_fixtures, create_table_sql, d

JAN, FEB = d("2024-01-01"), d("2024-02-01")

# snapshot day, warehouse (null: not assigned), product, units
ROWS: list[tuple[dt.date, str | None, str, int]] = [
    (d("2024-01-03"), "b", "x", 80),  # b: 80
    (d("2024-01-10"), "a", "x", 100),  # a: 150
    (d("2024-01-10"), "a", "y", 50),
    (d("2024-01-10"), "b", "x", 90),  # b: 100
    (d("2024-01-10"), "b", "y", 10),
    (d("2024-01-17"), "b", "x", 100),  # b: 120
    (d("2024-01-17"), "b", "y", 20),
    (d("2024-01-17"), None, "x", 7),  # null warehouse: its only snapshot
    (d("2024-01-20"), "a", "x", 120),  # a: 180
    (d("2024-01-20"), "a", "y", 60),
    (d("2024-01-24"), "b", "x", 100),  # b: 128 (b's last January snapshot)
    (d("2024-01-24"), "b", "y", 28),
    (d("2024-01-31"), "a", "x", 200),  # a: 315 (the month's last snapshot day)
    (d("2024-01-31"), "a", "y", 115),
    (d("2024-02-07"), "b", "x", 70),  # b: 70
    (d("2024-02-10"), "a", "x", 210),  # a: 310
    (d("2024-02-10"), "a", "y", 100),
    (d("2024-02-21"), "b", "x", 60),  # b: 90
    (d("2024-02-21"), "b", "y", 30),
    (d("2024-02-29"), "a", "x", 190),  # a: 190 (no 'y' row in a's last February snapshot)
]
# Snapshot days: January 3, 10, 17, 20, 24, 31 (6); February 7, 10, 21, 29 (4).
# January: sum of every row 1080; a 150 + 180 + 315 = 645 on 3 days; b 80 + 100 + 120 + 128 = 428 on 4.
# February: sum of every row 660; a 310 + 190 = 500 on 2 days; b 70 + 90 = 160 on 2.

COLUMN_TYPES = {
    "duckdb": ("DATE", "VARCHAR", "VARCHAR", "INTEGER"),
    "postgres": ("DATE", "VARCHAR(16)", "VARCHAR(16)", "INTEGER"),
    "mysql": ("DATE", "VARCHAR(16)", "VARCHAR(16)", "INT"),
}
COLUMNS = ("d", "warehouse", "product", "units")
SPARK_SCHEMA = "d DATE, warehouse STRING, product STRING, units INT"

MODELS = """
datasets:
  - name: stock
    table: {table}
    time: day
    dimensions:
      - {{name: day, column: d, type: time}}
      - {{name: warehouse, column: warehouse}}
      - {{name: product, column: product}}
    measures:
      - {{name: units, agg: sum, expr: units}}
metrics:
  - {{name: stock_all, type: semi_additive, measure: stock.units}}
  - {{name: opening_all, type: semi_additive, measure: stock.units, over_time: first}}
  - {{name: average_all, type: semi_additive, measure: stock.units, over_time: avg}}
  - {{name: stock_per, type: semi_additive, measure: stock.units, per: [warehouse]}}
  - {{name: opening_per, type: semi_additive, measure: stock.units, over_time: first, per: [warehouse]}}
  - {{name: average_per, type: semi_additive, measure: stock.units, over_time: avg, per: [warehouse]}}
  - {{name: stock_per_item, type: semi_additive, measure: stock.units, per: [warehouse, product]}}
  - {{name: stock_per_days, type: semi_additive, measure: stock.units, per: [warehouse], by_day: snapshots}}
  - name: y_stock_per
    type: semi_additive
    dataset: stock
    expr: units
    filter: "product = 'y'"
    per: [warehouse]
"""


_create_sql = create_table_sql(COLUMNS, COLUMN_TYPES)
# the fixtures: loaded (the rows in a table of each backend, a project reading them) and engine
loaded, engine = backend_fixtures("semi", "h_semi", _create_sql, ROWS, SPARK_SCHEMA, MODELS)


def _query(engine: Engine, metrics: list[str], **kwargs: Any) -> Any:
    return engine.query(Query(metrics=metrics, **kwargs))


MONTHS = {"grain": "month", "start": JAN, "end": d("2024-02-29")}
ALL = ["stock_all", "opening_all", "average_all"]
PER = ["stock_per", "opening_per", "average_per"]


def test_by_month_without_per_the_period_snapshot_day_counts(engine: Engine) -> None:
    table = _query(engine, ALL, **MONTHS)
    assert_table(
        table,
        ["period", *ALL],
        [
            # last: 2024-01-31 holds only a's rows: 200 + 115; first: 2024-01-03, only b: 80;
            # avg: 1080 / 6 snapshot days
            (JAN, 315, 80, 180),
            # last: 2024-02-29, a's x only: 190; first: 2024-02-07, b: 70; avg: 660 / 4
            (FEB, 190, 70, 165),
        ],
    )


def test_by_month_per_warehouse_each_warehouse_own_snapshots_count(engine: Engine) -> None:
    table = _query(engine, PER, **MONTHS)
    assert_table(
        table,
        ["period", *PER],
        [
            # last: a 315 (Jan 31) + b 128 (Jan 24) + null 7 (Jan 17) = 450
            # first: a 150 (Jan 10) + b 80 (Jan 3) + null 7 = 237
            # avg: a 645 / 3 = 215, b 428 / 4 = 107, null 7 / 1 = 7: 329
            (JAN, 450, 237, 329),
            # last: a 190 (Feb 29) + b 90 (Feb 21); the null warehouse has no February snapshot
            # and adds nothing (no carry-forward of its January value): 280
            # first: a 310 (Feb 10) + b 70 (Feb 7) = 380; avg: a 500 / 2 + b 160 / 2 = 330
            (FEB, 280, 380, 330),
        ],
    )


def test_by_warehouse_without_per_a_warehouse_missing_the_period_day_is_null(engine: Engine) -> None:
    table = _query(engine, ALL, dimensions=["warehouse"], **MONTHS)
    assert_table(
        table,
        ["period", "warehouse", *ALL],
        [
            # Jan 31 (last) has only a; Jan 3 (first) only b; avg over the month's 6 days
            (JAN, "a", 315, None, 645 / 6),
            (JAN, "b", None, 80, 428 / 6),
            (JAN, None, None, None, 7 / 6),
            # Feb 29 has only a; Feb 7 only b; avg over 4 days
            (FEB, "a", 190, None, 500 / 4),
            (FEB, "b", None, 70, 160 / 4),
            (FEB, None, None, None, None),  # seen in January (the range), no February row
        ],
    )


def test_by_warehouse_per_warehouse(engine: Engine) -> None:
    table = _query(engine, PER, dimensions=["warehouse"], **MONTHS)
    assert_table(
        table,
        ["period", "warehouse", *PER],
        [
            (JAN, "a", 315, 150, 215),  # Jan 31; Jan 10; (150 + 180 + 315) / 3
            (JAN, "b", 128, 80, 107),  # Jan 24; Jan 3; (80 + 100 + 120 + 128) / 4
            (JAN, None, 7, 7, 7),  # the null warehouse is an entity of its own
            (FEB, "a", 190, 310, 250),  # Feb 29; Feb 10; (310 + 190) / 2
            (FEB, "b", 90, 70, 80),  # Feb 21; Feb 7; (70 + 90) / 2
            (FEB, None, None, None, None),  # no February snapshot: nothing
        ],
    )


def test_by_product_per_warehouse_splits_each_warehouse_snapshot(engine: Engine) -> None:
    table = _query(engine, PER, dimensions=["product"], **MONTHS)
    assert_table(
        table,
        ["period", "product", *PER],
        [
            # last: x = a 200 + b 100 + null 7 = 307, y = a 115 + b 28 = 143
            # first: x = a 100 (Jan 10) + b 80 (Jan 3) + null 7 = 187, y = a 50 (b has no y on Jan 3)
            # avg: x = a (100+120+200)/3 + b (80+90+100+100)/4 + null 7 = 140 + 92.5 + 7 = 239.5
            #      y = a (50+60+115)/3 + b (10+20+28)/4 = 75 + 14.5 = 89.5
            (JAN, "x", 307, 187, 239.5),
            (JAN, "y", 143, 50, 89.5),
            # last: a's Feb 29 has only x 190; b's Feb 21: x 60, y 30 -> x 250, y 30
            # first: a's Feb 10: x 210, y 100; b's Feb 7: x 70 -> x 280, y 100
            # avg: x = a (210+190)/2 + b (70+60)/2 = 200 + 65 = 265; y = a 100/2 + b 30/2 = 65
            (FEB, "x", 250, 280, 265),
            (FEB, "y", 30, 100, 65),
        ],
    )


def test_per_warehouse_and_product(engine: Engine) -> None:
    table = _query(engine, ["stock_per", "stock_per_item"], dimensions=["warehouse"], **MONTHS)
    assert_table(
        table,
        ["period", "warehouse", "stock_per", "stock_per_item"],
        [
            (JAN, "a", 315, 315),  # a's x and y both last on Jan 31
            (JAN, "b", 128, 128),
            (JAN, None, 7, 7),
            # per warehouse, a's last day (Feb 29) has only x: 190; per warehouse and product,
            # a's y has its own last snapshot on Feb 10: 190 + 100
            (FEB, "a", 190, 290),
            (FEB, "b", 90, 90),
            (FEB, None, None, None),
        ],
    )


def test_without_dimension_or_grain_the_range_is_one_period(engine: Engine) -> None:
    table = _query(engine, [*ALL, *PER], start=JAN, end=d("2024-02-29"))
    # last: Feb 29 (190) / per warehouse: a 190 (Feb 29) + b 90 (Feb 21) + null 7 (Jan 17) = 287
    # first: Jan 3 (80) / a 150 (Jan 10) + b 80 (Jan 3) + null 7 = 237
    # avg: (1080 + 660) / 10 days = 174 / a (645 + 500) / 5 + b (428 + 160) / 6 + null 7 = 229 + 98 + 7
    assert_table(table, [*ALL, *PER], [(190, 80, 174, 287, 237, 334)])


def test_day_grain_is_the_level_as_of_each_day(engine: Engine) -> None:
    # Found by QA: a day held only the warehouses counted that day, so a KPI's forecast, which reads the
    # days, took part of the stock for all of it. Without per, a day is one snapshot: the day's sum,
    # 100 + 50 + 90 + 10 on Jan 10, none without a row. With per, each warehouse's latest snapshot on or
    # before the day, carried forward: Jan 9 only b's of Jan 3 (80; a is first counted on Jan 10, the null
    # warehouse on Jan 17), read from before the range; Jan 10 and 11 a 150 + b 100 = 250.
    table = _query(engine, [*ALL, *PER], grain="day", start=d("2024-01-09"), end=d("2024-01-11"))
    assert_table(
        table,
        ["period", *ALL, *PER],
        [
            (d("2024-01-09"), None, None, None, 80, 80, 80),
            (d("2024-01-10"), 250, 250, 250, 250, 250, 250),
            (d("2024-01-11"), None, None, None, 250, 250, 250),
        ],
    )
    # by warehouse on Jan 17: a's of Jan 10 (150) carried, b's and the null warehouse's of the day
    table = _query(engine, PER, dimensions=["warehouse"], grain="day", start=d("2024-01-17"), end=d("2024-01-17"))
    assert_table(
        table,
        ["period", "warehouse", *PER],
        [
            (d("2024-01-17"), "a", 150, 150, 150),
            (d("2024-01-17"), "b", 120, 120, 120),
            (d("2024-01-17"), None, 7, 7, 7),
        ],
    )


def test_by_day_snapshots_keeps_each_day_to_its_own_snapshots(engine: Engine) -> None:
    # by_day: snapshots (as a metric imported from dbt, MetricFlow's window_groupings): a day holds the
    # snapshots of that day only: none on Jan 9 and 11, 100 + 50 + 90 + 10 = 250 on Jan 10; by month the
    # same as stock_per (January: a 315 + b 128 + the null warehouse's 7 = 450)
    table = _query(engine, ["stock_per", "stock_per_days"], grain="day", start=d("2024-01-09"), end=d("2024-01-11"))
    assert_table(
        table,
        ["period", "stock_per", "stock_per_days"],
        [(d("2024-01-09"), 80, None), (d("2024-01-10"), 250, 250), (d("2024-01-11"), 250, None)],
    )
    month = _query(engine, ["stock_per", "stock_per_days"], grain="month", start=JAN, end=d("2024-01-31"))
    assert_table(month, ["period", "stock_per", "stock_per_days"], [(JAN, 450, 450)])


def test_day_grain_a_metric_filter_hides_no_warehouse(engine: Engine) -> None:
    # Found by review: by day, the filter of y_stock_per (product 'y') hid the null warehouse, whose only
    # snapshot (Jan 17) holds product 'x' alone; by month, and by day before the levels, it shows without a
    # value (the time spine gives a combination seen in the range every day of it). a: its Jan 10 'y' 50 on
    # each day; b: 10 (Jan 10) on Jan 16, then 20 (Jan 17).
    table = _query(
        engine, ["y_stock_per"], dimensions=["warehouse"], grain="day", start=d("2024-01-16"), end=d("2024-01-18")
    )
    assert_table(
        table,
        ["period", "warehouse", "y_stock_per"],
        [
            (d("2024-01-16"), "a", 50),
            (d("2024-01-16"), "b", 10),
            (d("2024-01-16"), None, None),
            (d("2024-01-17"), "a", 50),
            (d("2024-01-17"), "b", 20),
            (d("2024-01-17"), None, None),
            (d("2024-01-18"), "a", 50),
            (d("2024-01-18"), "b", 20),
            (d("2024-01-18"), None, None),
        ],
    )


def test_day_grain_levels_stop_at_the_last_snapshot_and_follow_the_entity(engine: Engine) -> None:
    # Feb 28: a 310 (Feb 10) + b 90 (Feb 21) + the null warehouse's 7 (Jan 17, its only snapshot) = 407;
    # Feb 29: a 190 + b 90 + 7 = 287; March: no snapshot on or after the day ends the levels (none).
    # per [warehouse, product]: a's 'y' keeps its Feb 10 count (100), absent from a's Feb 29 snapshot:
    # (a,x) 190 + (a,y) 100 + (b,x) 60 + (b,y) 30 + (null,x) 7 = 387 on Feb 29.
    # y_stock_per (product 'y' before each warehouse's snapshot is chosen): a's Feb 10 y 100 + b's Feb 21
    # y 30 = 130 on both days. The month holds only the warehouses counted in it: 190 + 90 = 280.
    metrics = ["stock_per", "stock_per_item", "y_stock_per"]
    table = _query(engine, metrics, grain="day", start=d("2024-02-28"), end=d("2024-03-01"))
    assert_table(
        table,
        ["period", *metrics],
        [
            (d("2024-02-28"), 407, 407, 130),
            (d("2024-02-29"), 287, 387, 130),
            (d("2024-03-01"), None, None, None),
        ],
    )
    month = _query(engine, ["stock_per"], grain="month", start=FEB, end=d("2024-02-29"))
    assert_table(month, ["period", "stock_per"], [(FEB, 280)])
    # a where picks the entities and their snapshots: warehouse b alone, 70 from Feb 7 to 20, 90 after
    table = _query(
        engine, ["stock_per"], grain="day", start=d("2024-02-20"), end=d("2024-02-21"), where="warehouse = 'b'"
    )
    assert_table(table, ["period", "stock_per"], [(d("2024-02-20"), 70), (d("2024-02-21"), 90)])


def test_a_metric_filter_applies_before_each_entity_snapshot_is_chosen(engine: Engine) -> None:
    table = _query(engine, ["y_stock_per"], **MONTHS)
    # the rows of product y only: a's last y snapshot in January is Jan 31 (115), b's Jan 24 (28);
    # in February a's last y snapshot is Feb 10 (100: its Feb 29 snapshot has no y), b's Feb 21 (30)
    assert_table(table, ["period", "y_stock_per"], [(JAN, 143), (FEB, 130)])


def test_a_metric_filter_hides_no_combination(engine: Engine) -> None:
    table = _query(engine, ["y_stock_per"], dimensions=["warehouse"], **MONTHS)
    assert_table(
        table,
        ["period", "warehouse", "y_stock_per"],
        [
            (JAN, "a", 115),
            (JAN, "b", 28),
            (JAN, None, None),  # only x rows: present, no value
            (FEB, "a", 100),
            (FEB, "b", 30),
            (FEB, None, None),
        ],
    )


def test_where_restricts_the_entities(engine: Engine) -> None:
    table = _query(engine, ["stock_all", "stock_per"], where="warehouse = 'b'", **MONTHS)
    # only b's rows: its own last day is the period's last day too
    assert_table(table, ["period", "stock_all", "stock_per"], [(JAN, 128, 128), (FEB, 90, 90)])


# -- definitions ---------------------------------------------------------------------------------


def _project(root: Path, metric: str, extra: str = "") -> Path:
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "onpace.yml").write_text("name: semi\n")
    (root / "models" / "models.yml").write_text(
        MODELS.format(table="stock").split("metrics:")[0] + extra + "metrics:\n" + metric
    )
    return root


def test_an_unknown_per_dimension_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    metric = "  - {name: stock_per, type: semi_additive, measure: stock.units, per: [warehose]}\n"
    with pytest.raises(DefinitionError) as info:
        load_project(_project(tmp_path, metric), env={})
    [issue] = info.value.issues
    assert issue.message == "unknown dimension 'warehose' in 'per' of semi-additive metric 'stock_per'"
    assert issue.suggestion == "warehouse"
    assert (issue.file, issue.line) == ("models/models.yml", 13)


def test_per_cannot_name_the_time_dimension_or_a_dimension_twice(tmp_path: Path) -> None:
    metric = "  - {name: stock_per, type: semi_additive, measure: stock.units, per: [day]}\n"
    with pytest.raises(DefinitionError) as info:
        load_project(_project(tmp_path / "time", metric), env={})
    [issue] = info.value.issues
    assert issue.message == "'per' of semi-additive metric 'stock_per' names its time dimension 'day'"
    metric = "  - {name: stock_per, type: semi_additive, measure: stock.units, per: [warehouse, warehouse]}\n"
    with pytest.raises(DefinitionError) as info:
        load_project(_project(tmp_path / "twice", metric), env={})
    assert "'per' names warehouse more than once" in str(info.value)


def test_a_per_dimension_out_of_reach_is_a_query_error(tmp_path: Path) -> None:
    sites = """  - name: sites
    table: sites
    dimensions:
      - {name: city, column: city}
"""
    metric = "  - {name: stock_per, type: semi_additive, measure: stock.units, per: [city]}\n"
    (tmp_path / "data").mkdir()
    con = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"))
    con.execute(_create_sql("duckdb", "stock"))
    con.execute("CREATE TABLE sites (city VARCHAR)")
    con.close()
    project = load_project(_project(tmp_path, metric, extra=sites), env={})
    issues = check_sources(project)
    [issue] = issues
    assert issue.message.startswith(
        "'per' of semi-additive metric 'stock_per': dimension 'city' (dataset 'sites') cannot be reached from "
        "dataset 'stock' by many-to-one keys"
    )
    assert (issue.path, issue.line) == ("metrics[0].per[0]", 17)
    with pytest.raises(QueryError, match="dimension 'city' \\(dataset 'sites'\\) cannot be reached"):
        Engine(project).sql(Query(metrics=["stock_per"], grain="month", start=JAN, end=FEB))
