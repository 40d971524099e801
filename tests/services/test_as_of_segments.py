"""A KPI on a segment whose data stops early is judged as of the segment's own last day (issue 14, defect 8).

Data, the same on DuckDB, PostgreSQL, MariaDB and Spark: table ``sales(day, ch, amount)``,
web 100 a day from 2025-01-01 to 2025-08-15, outlet 50 a day from 2025-01-01 to
2025-08-10, popup 10 a day from 2025-07-10 to 2025-08-15. ``evaluation.as_of:
latest_data``.

By hand, for the outlet (``segment: "ch = 'outlet'"``, monthly, at least 1,550):
its last day with data is 2025-08-10, so August to date is 10 days x 50 = 500,
expected 1,550 x 10/31 = 500, attainment 1.0, on track; the forecast is 500 + 21
days x 50 = 1,550. The time spine zero-fills the outlet up to 2025-08-15 (web's last
day): judged then, it would be expected 750, attainment 0.667, off track.
For the web segment of the ``segment_by`` KPI (at least 3,100): as of 2025-08-15,
15 x 100 = 1,500 against 3,100 x 15/31 = 1,500, attainment 1.0.

The popup's first day with data is 2025-07-10: its data does not cover July whole,
so a target of +10% on the previous month has no baseline (no target, no data),
where the zero-filled days from 2025-01-01 gave a baseline of 22 x 10 = 220.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine
from onpace.engine.plan import Planner
from onpace.services import scorecard
from onpace.services.refresh import refresh, shared_definitions
from onpace.store import observations as obs
from onpace.store.db import Store

FIRST = dt.date(2025, 1, 1)
WEB_LAST = dt.date(2025, 8, 15)
OUTLET_LAST = dt.date(2025, 8, 10)
POPUP_FIRST = dt.date(2025, 7, 10)

MODELS = """
datasets:
  - name: sales
    table: {table}
    time: day
    dimensions:
      - {{name: day, column: day, type: time}}
      - {{name: ch, column: ch}}
    measures:
      - {{name: sales, agg: sum, expr: amount}}
metrics:
  - {{name: sales, measure: sales}}
objectives:
  - {{name: grow, owner: CEO}}
kpis:
  - name: outlet_sales
    metric: sales
    segment: "ch = 'outlet'"
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    target: {{at_least: 1550}}
  - name: by_channel
    metric: sales
    segment_by: ch
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    targets:
      - {{segment: outlet, at_least: 1550}}
      - {{segment: web, at_least: 3100}}
  - name: popup_growth
    metric: sales
    segment: "ch = 'popup'"
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    target: {{change: "+10%", vs: previous_period}}
"""


def _rows() -> list[tuple[dt.date, str, float]]:
    out = []
    for channel, amount, first, last in (
        ("web", 100.0, FIRST, WEB_LAST),
        ("outlet", 50.0, FIRST, OUTLET_LAST),
        ("popup", 10.0, POPUP_FIRST, WEB_LAST),
    ):
        day = first
        while day <= last:
            out.append((day, channel, amount))
            day += dt.timedelta(days=1)
    return out


def _write_project(root: Path, url: str, table: str) -> Path:
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "onpace.yml").write_text(
        textwrap.dedent(
            f"""
            name: asof
            sources:
              warehouse: {{url: "{url}"}}
            evaluation:
              as_of: latest_data
            """
        ),
        encoding="utf-8",
    )
    (root / "models" / "sales.yml").write_text(textwrap.dedent(MODELS.format(table=table)), encoding="utf-8")
    return root


def _duckdb(root: Path) -> Iterator[tuple[str, str]]:
    (root / "data").mkdir(parents=True)
    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    try:
        con.execute("CREATE TABLE sales (day DATE, ch VARCHAR, amount DECIMAL(12,2))")
        con.executemany("INSERT INTO sales VALUES (?, ?, ?)", _rows())
    finally:
        con.close()
    yield "duckdb:///data/warehouse.duckdb", "sales"


def _postgres(url: str) -> Iterator[tuple[str, str]]:
    import psycopg

    table = f"onpace_asof_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (day DATE, ch VARCHAR(16), amount NUMERIC(12,2))")
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s)", _rows())
    try:
        yield url, table
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {table}")


def _mysql(url: str) -> Iterator[tuple[str, str]]:
    from urllib.parse import unquote, urlsplit

    import MySQLdb

    parts = urlsplit(url)
    params: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/"),
    }
    table = f"onpace_asof_{secrets.token_hex(4)}"
    conn = MySQLdb.connect(**params)
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE {table} (day DATE, ch VARCHAR(16), amount DECIMAL(12,2))")
        cur.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s)", _rows())
        conn.commit()
    finally:
        conn.close()
    try:
        yield url, table
    finally:
        conn = MySQLdb.connect(**params)
        try:
            conn.cursor().execute(f"DROP TABLE IF EXISTS {table}")
            conn.commit()
        finally:
            conn.close()


def _spark(spark: Any) -> Iterator[tuple[str, str]]:
    from pyspark.sql import types as T

    table = f"onpace_asof_{secrets.token_hex(4)}"
    schema = T.StructType(
        [
            T.StructField("day", T.DateType()),
            T.StructField("ch", T.StringType()),
            T.StructField("amount", T.DecimalType(12, 2)),
        ]
    )
    rows = [(day, channel, Decimal(str(amount))) for day, channel, amount in _rows()]
    spark.createDataFrame(rows, schema=schema).createOrReplaceTempView(table)
    try:
        yield "spark://local[2]", table
    finally:
        spark.catalog.dropTempView(table)


@dataclass
class Shop:
    root: Path
    backends: dict[str, Any]  # connections injected into the engine (Spark's shared session)

    def engine(self) -> Engine:
        return Engine(load_project(self.root), backends=self.backends)


@pytest.fixture(
    params=[
        "duckdb",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
        pytest.param("spark", marks=pytest.mark.spark),
    ]
)
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    """The project on one engine (its data loaded there, dropped afterwards)."""
    root = tmp_path / "asof"
    backends: dict[str, Any] = {}
    if request.param == "duckdb":
        source = _duckdb(root)
    elif request.param == "postgres":
        source = _postgres(request.getfixturevalue("pg_url"))
    elif request.param == "mysql":
        source = _mysql(request.getfixturevalue("mysql_url"))
    else:
        import ibis

        spark = request.getfixturevalue("spark_session")
        source = _spark(spark)
        backends["warehouse"] = ibis.pyspark.connect(spark)  # not closed: the session is shared
    url, table = next(source)
    try:
        yield Shop(_write_project(root, url, table), backends)
    finally:
        next(source, None)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        yield opened
    finally:
        opened.close()


def _rows_by_kpi(root: Path, store: Store) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(r["kpi"], r["segment"]): r for r in scorecard.kpi_rows(load_project(root), store)}


def test_data_days_are_the_segments_own(shop: Shop) -> None:
    with shop.engine() as engine:
        assert engine.data_days("sales", "ch = 'outlet'") == (FIRST, OUTLET_LAST)
        assert engine.data_days("sales", "ch = 'web'") == (FIRST, WEB_LAST)
        assert engine.data_days("sales") == (FIRST, WEB_LAST)
        assert engine.data_days("sales", "ch = 'popup'") == (POPUP_FIRST, WEB_LAST)
        assert engine.data_days("sales", "ch = 'store'") == (None, None)


def test_a_segment_is_judged_as_of_its_own_last_day(shop: Shop, store: Store) -> None:
    with shop.engine() as engine:
        result = refresh(engine.project, store, requested_by="test", engine=engine)
    assert result.status == "succeeded", result.errors
    rows = _rows_by_kpi(shop.root, store)

    # the scorecard, the API and the web app all read these stored evaluations
    for key in (("outlet_sales", None), ("by_channel", "outlet")):
        outlet = rows[key]
        assert outlet["as_of"] == OUTLET_LAST, key
        assert (outlet["period_start"], outlet["period_end"]) == (dt.date(2025, 8, 1), dt.date(2025, 8, 31))
        assert outlet["actual"] == pytest.approx(500.0)  # 10 days x 50
        assert outlet["expected_to_date"] == pytest.approx(500.0)  # 1,550 x 10/31
        assert outlet["attainment"] == pytest.approx(1.0)
        assert outlet["status"] == "on_track"
        assert outlet["forecast"] == pytest.approx(1550.0)  # 500 + 21 x 50

    web = rows[("by_channel", "web")]
    assert web["as_of"] == WEB_LAST
    assert web["actual"] == pytest.approx(1500.0)  # 15 x 100
    assert web["expected_to_date"] == pytest.approx(1500.0)  # 3,100 x 15/31
    assert (web["attainment"], web["status"]) == (pytest.approx(1.0), "on_track")

    popup = rows[("popup_growth", None)]  # July is covered from the 10th only: no baseline
    assert (popup["as_of"], popup["actual"]) == (WEB_LAST, pytest.approx(150.0))
    assert (popup["target"], popup["expected_to_date"], popup["status"]) == (None, None, "no_data")

    with store.session(readonly=True) as s:  # the outlet's day series stops with its data
        series = obs.get_series(s, "sales", "day", "ch = 'outlet'")
        assert series is not None and series.data_until == OUTLET_LAST
        monthly = obs.get_series(s, "sales", "month", "ch = 'outlet'")
        assert monthly is not None and monthly.data_until == dt.date(2025, 8, 1)


def test_a_series_stored_with_zero_filled_days_is_recomputed(tmp_path: Path, store: Store) -> None:
    """Series stored by an earlier version (zero-filled to the web's last day) are replaced, even incrementally."""
    source = _duckdb(tmp_path / "asof")
    url, table = next(source)
    root = _write_project(tmp_path / "asof", url, table)
    project = load_project(root)
    assert refresh(project, store, requested_by="test").status == "succeeded"
    # what the earlier version stored: 0 from 2025-08-11 to 2025-08-15, under its fingerprint
    parts = {
        "plan": repr(Planner(project).resolve("sales")),
        "shared": shared_definitions(project),
        "grain": "day",
        "segment": "ch = 'outlet'",
    }
    earlier = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    with store.session() as s:
        series_id = obs.get_or_create_series(s, "sales", "day", "ch = 'outlet'")
        zeros = [(OUTLET_LAST + dt.timedelta(days=i), 0.0) for i in range(1, 6)]
        obs.write_observations(s, series_id, zeros)
        obs.set_definition_hash(s, series_id, earlier)
    assert _rows_by_kpi(root, store)[("outlet_sales", None)]["as_of"] == OUTLET_LAST  # not evaluated again yet

    assert refresh(project, store, requested_by="test").status == "succeeded"  # incremental
    outlet = _rows_by_kpi(root, store)[("outlet_sales", None)]
    assert (outlet["as_of"], outlet["expected_to_date"], outlet["status"]) == (OUTLET_LAST, 500.0, "on_track")
