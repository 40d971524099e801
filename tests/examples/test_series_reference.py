"""Every series a full refresh of the TPC-H example stores, against hand-written SQL (scale factor 0.01).

One query per series (metric, grain, segment), written from the definitions and the documented
rules, never from the engine's code (benchmarks/reference_series.py; benchmarks/shared.py times
the same queries against a refresh). The series are those the refresh computes
(:func:`onpace.services.needs.series_needed` over the example's definitions); a series without a
hand-written query fails here rather than going unchecked. Each stored series must hold the same
periods as its query, and the same values cell by cell (within 1e-9 relative).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from types import ModuleType

import duckdb
import pyarrow as pa
import pytest

from onpace.catalog.project import load_project
from onpace.examples.tpch_data import DATABASE, generate
from onpace.services.needs import SeriesSpec, series_needed
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCALE = 0.01
Key = tuple[str, str, str]  # metric, grain, segment


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"onpace_benchmarks_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference_series = _load("reference_series")
compare = _load("compare")

EXAMPLE = Path(str(resources.files("onpace.examples").joinpath("tpch")))  # the definitions, without data
SERIES: list[SeriesSpec] = series_needed(load_project(EXAMPLE), None)


def key_of(spec: SeriesSpec) -> Key:
    return (spec.metric, spec.grain.value, spec.segment)


@pytest.fixture(scope="session")
def tpch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("tpch-series") / "project", SCALE)


@pytest.fixture(scope="session")
def stored(tpch_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[Key, pa.Table]:
    """A full refresh of the example into an empty SQLite store: every series as (period, value)."""
    path = tmp_path_factory.mktemp("series-store") / "store.db"
    store = Store(f"sqlite:///{path.as_posix()}").ensure_current()
    try:
        result = refresh(load_project(tpch_dir), store, full=True, evaluate=False)
        assert result.status == "succeeded", result.errors
        out: dict[Key, pa.Table] = {}
        with store.session(readonly=True) as s:
            for series in obs.list_series(s):
                rows = obs.read_series(s, series.metric, series.grain, series.segment)
                out[(series.metric, series.grain, series.segment)] = pa.table(
                    {"period": [p for p, _ in rows], "value": pa.array([v for _, v in rows], pa.float64())}
                )
        return out
    finally:
        store.close()


@pytest.fixture(scope="session")
def reference_db(tpch_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the data for the hand-written queries: DuckDB refuses a second connection to a file
    in one process with other settings than the engine's, and the engine's connection stays untouched."""
    copy = tmp_path_factory.mktemp("series-reference") / "tpch.duckdb"
    shutil.copyfile(tpch_dir / DATABASE, copy)
    return copy


@pytest.fixture
def con(reference_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(reference_db), read_only=True)
    yield con
    con.close()


def test_every_series_has_a_hand_written_query(tpch_dir: Path) -> None:
    assert len(SERIES) >= 36  # the list: every (metric, grain, segment) the example's refresh keeps
    assert series_needed(load_project(tpch_dir), None) == SERIES  # the generated project needs the same
    for spec in SERIES:
        reference_series.series_sql(*key_of(spec))  # raises NoReference when one is missing


def test_the_calendar_is_the_one_the_queries_were_written_for() -> None:
    assert load_project(EXAMPLE).calendar.fiscal_year_start == reference_series.FISCAL_YEAR_START


def test_refresh_stores_exactly_these_series(stored: dict[Key, pa.Table]) -> None:
    assert sorted(stored) == sorted(key_of(spec) for spec in SERIES)


@pytest.mark.parametrize("spec", SERIES, ids=lambda spec: "-".join(filter(None, key_of(spec))))
def test_series_equals_hand_written_sql(
    spec: SeriesSpec, stored: dict[Key, pa.Table], con: duckdb.DuckDBPyConnection
) -> None:
    key = key_of(spec)
    expected = reference_series.run(con, *key)
    assert expected.num_rows > 0
    got = stored[key]
    problems = compare.differences(expected, got, rel=1e-9)
    assert not problems, f"{key}: the stored series differs from the hand-written SQL:\n" + "\n".join(problems)


def test_fiscal_years_start_in_april(stored: dict[Key, pa.Table], con: duckdb.DuckDBPyConnection) -> None:
    """By hand: orders run from 1992-01-01 to 1998-08-02, so every region's fiscal years (April to March)
    are those starting 1991-04-01 .. 1998-04-01 and its quarters those starting 1992-01-01 .. 1998-07-01."""
    years = [dt.date(y, 4, 1) for y in range(1991, 1999)]
    for region in ("AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"):
        key = ("orders", "fiscal_year", f"region = '{region}'")
        assert reference_series.run(con, *key).column("period").to_pylist() == years
        assert stored[key].column("period").to_pylist() == years
    quarters = [dt.date(y, m, 1) for y in range(1992, 1999) for m in (1, 4, 7, 10)][:-1]
    assert reference_series.run(con, "avg_order_value", "fiscal_quarter").column("period").to_pylist() == quarters


def test_a_segment_covers_its_own_days(stored: dict[Key, pa.Table], con: duckdb.DuckDBPyConnection) -> None:
    """Europe's revenue by day starts and ends on Europe's own first and last order days (counted here
    directly), not on the whole data's 1992-01-01 and 1998-08-02."""
    first, last = con.sql(
        """
        SELECT MIN(o.o_orderdate), MAX(o.o_orderdate)
        FROM orders AS o
        JOIN customer AS c ON c.c_custkey = o.o_custkey
        JOIN nation AS n ON n.n_nationkey = c.c_nationkey
        JOIN region AS r ON r.r_regionkey = n.n_regionkey
        WHERE r.r_name = 'EUROPE' AND EXISTS (SELECT 1 FROM lineitem AS l WHERE l.l_orderkey = o.o_orderkey)
        """
    ).fetchall()[0]
    periods = stored[("revenue", "day", "region = 'EUROPE'")].column("period").to_pylist()
    assert (periods[0], periods[-1]) == (first, last)
    assert len(periods) == (last - first).days + 1  # every day in between, zero-filled
