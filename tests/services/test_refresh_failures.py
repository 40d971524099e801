"""What failed in a refresh is recorded with typed keys (:class:`Failure`); people still read the same text.

The shop is conftest.py's: ``visits`` is refreshed at day, month and quarter; ``by_region``
is one KPI instance per region (NORTH, SOUTH).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from sqlalchemy import update

from onpace.calendar import Grain
from onpace.catalog.project import load_project
from onpace.services.evaluate import evaluate_and_store
from onpace.services.failures import Failure, as_text
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store import runs
from onpace.store.db import Store
from onpace.store.models import Observation, Series

FAR = dt.date(9999, 12, 1)  # a period start the calendar cannot end (an older version wrote it unchecked)


def test_failures_read_as_before() -> None:
    assert str(Failure.series("visits", Grain.month)) == "visits (month)"
    assert str(Failure.series("revenue", Grain.day, "region = 'NORTH'")) == "revenue (day, region = 'NORTH')"
    assert str(Failure.kpi("q_revenue")) == "KPI q_revenue"
    assert str(Failure.kpi("by_region", "NORTH")) == "KPI by_region [NORTH]"
    assert Failure.kpi("by_region", None) == Failure.kpi("by_region", "") == Failure("kpi", "by_region")
    assert as_text({Failure.kpi("a"): "why", Failure.series("b", Grain.week): "because"}) == {
        "KPI a": "why",
        "b (week)": "because",
    }


def test_a_failed_metric_is_known_by_its_fields(shop: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(shop / "data" / "warehouse.duckdb"))
    con.execute("DROP TABLE visits")
    con.close()
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        result = refresh(load_project(shop), store, requested_by="test")
        with store.session(readonly=True) as s:
            run = runs.get_run(s, result.run_id)
    finally:
        store.close()
    assert set(result.failures) == {
        Failure("metric", "visits", Grain.day),
        Failure("metric", "visits", Grain.month),
        Failure("metric", "visits", Grain.quarter),
    }
    assert result.errors == {str(key): reason for key, reason in result.failures.items()}
    # one metric failed, of five: the run is partial, and records the text people read
    assert (run.status, run.metrics_total, run.metrics_failed) == ("partial", 5, 1)
    assert run.errors == result.errors


def test_a_failed_kpi_segment_is_known_by_its_fields(shop: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    project = load_project(shop)
    try:
        assert refresh(project, store, requested_by="test", evaluate=False).status == "succeeded"
        with store.session() as s:  # a row no version of onpace writes any more, in NORTH's daily series
            north = obs.get_series(s, "revenue", "day", "region = 'NORTH'")
            assert north is not None
            s.add(Observation(series_id=north.id, period_start=FAR, value=1.0))
            s.execute(update(Series).where(Series.id == north.id).values(data_until=FAR))
        failures: dict[Failure, str] = {}
        evaluate_and_store(project, store, errors=failures)
    finally:
        store.close()
    assert list(failures) == [Failure("kpi", "by_region", None, "NORTH")]
    assert "is not a date" in failures[Failure.kpi("by_region", "NORTH")]
