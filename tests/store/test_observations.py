"""Series and observations: idempotent upserts, replaced ranges, bulk speed."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from onpace.store import Store
from onpace.store.models import Observation, Series
from onpace.store.observations import (
    get_or_create_series,
    get_series,
    list_series,
    read_series,
    write_observations,
)
from onpace.store.runs import start_run

from .backends import Backend

JAN = date(2024, 1, 1)


def days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def test_get_or_create_series_returns_the_same_id(store: Store) -> None:
    with store.session() as s:
        first = get_or_create_series(s, "revenue", "month")
        assert get_or_create_series(s, "revenue", "month") == first
        assert get_or_create_series(s, "revenue", "month", "region = 'EU'") != first
        assert get_or_create_series(s, "revenue", "week") != first
    with store.session() as s:
        assert get_or_create_series(s, "revenue", "month", origin="manual") == first
        series = get_series(s, "revenue", "month")
        assert series is not None
        assert (series.id, series.segment, series.origin, series.data_until) == (first, "", "engine", None)
        assert [(x.metric, x.grain, x.segment) for x in list_series(s)] == [
            ("revenue", "month", ""),
            ("revenue", "month", "region = 'EU'"),
            ("revenue", "week", ""),
        ]
        assert list_series(s, "other") == []


def test_writing_the_same_rows_twice_keeps_one_row_each_with_the_latest_value(store: Store) -> None:
    with store.session() as s:
        run1 = start_run(s, "full", "a")
        run2 = start_run(s, "full", "a")
        series_id = get_or_create_series(s, "revenue", "day")
    with store.session() as s:
        write_observations(s, series_id, [(JAN, 1.0), (date(2024, 1, 2), 2.0)], run1)
    with store.session() as s:
        assert write_observations(s, series_id, [(JAN, 10.0), (date(2024, 1, 2), None)], run2) == 2
    with store.session() as s:
        assert read_series(s, "revenue", "day") == [(JAN, 10.0), (date(2024, 1, 2), None)]
        rows = s.scalars(select(Observation).order_by(Observation.period_start)).all()
        assert [r.run_id for r in rows] == [run2, run2]
        assert all(r.updated_at.tzinfo == UTC for r in rows)


def test_series_bookkeeping_is_updated(store: Store) -> None:
    with store.session() as s:
        run_id = start_run(s, "full", "a")
        series_id = get_or_create_series(s, "revenue", "day")
        before = datetime.now(UTC)
        write_observations(s, series_id, [(JAN, 1.0), (date(2024, 1, 2), 2.0), (date(2024, 1, 3), None)], run_id)
    with store.session() as s:
        series = s.get(Series, series_id)
        assert series is not None
        assert series.data_until == date(2024, 1, 2)  # the latest period with a value, not the None one
        assert series.last_run_id == run_id
        assert series.updated_at >= before
        write_observations(s, series_id, [(date(2024, 1, 5), 5.0)])  # manual entry: no run
    with store.session() as s:
        series = s.get(Series, series_id)
        assert series is not None
        assert (series.data_until, series.last_run_id) == (date(2024, 1, 5), run_id)


def test_replace_range_deletes_stale_rows_inside_it_and_keeps_everything_outside(store: Store) -> None:
    with store.session() as s:
        series_id = get_or_create_series(s, "revenue", "day")
        write_observations(s, series_id, [(d, float(d.day)) for d in days(JAN, 10)])
    with store.session() as s:
        # recompute 3..7 January: the 5th has no row any more, the 4th changed
        fresh = [(date(2024, 1, 3), 3.0), (date(2024, 1, 4), 40.0), (date(2024, 1, 6), 6.0), (date(2024, 1, 7), 7.0)]
        write_observations(s, series_id, fresh, replace_from=date(2024, 1, 3), replace_to=date(2024, 1, 7))
    with store.session() as s:
        assert read_series(s, "revenue", "day") == [
            (date(2024, 1, 1), 1.0),
            (date(2024, 1, 2), 2.0),
            (date(2024, 1, 3), 3.0),
            (date(2024, 1, 4), 40.0),
            (date(2024, 1, 6), 6.0),
            (date(2024, 1, 7), 7.0),
            (date(2024, 1, 8), 8.0),
            (date(2024, 1, 9), 9.0),
            (date(2024, 1, 10), 10.0),
        ]


def test_an_open_ended_replace_range_and_data_until_after_it(store: Store) -> None:
    with store.session() as s:
        series_id = get_or_create_series(s, "revenue", "day")
        write_observations(s, series_id, [(d, 1.0) for d in days(JAN, 10)])
        # everything from the 8th on is recomputed and now ends on the 8th
        write_observations(s, series_id, [(date(2024, 1, 8), 2.0)], replace_from=date(2024, 1, 8))
    with store.session() as s:
        assert read_series(s, "revenue", "day")[-2:] == [(date(2024, 1, 7), 1.0), (date(2024, 1, 8), 2.0)]
        series = get_series(s, "revenue", "day")
        assert series is not None
        assert series.data_until == date(2024, 1, 8)
        # an empty recompute of the whole range empties it
        write_observations(s, series_id, [], replace_from=JAN, replace_to=date(2024, 1, 31))
        assert read_series(s, "revenue", "day") == []
        series = get_series(s, "revenue", "day")
        assert series is not None
        assert series.data_until is None


def test_series_are_kept_apart(store: Store) -> None:
    with store.session() as s:
        whole = get_or_create_series(s, "revenue", "day")
        eu = get_or_create_series(s, "revenue", "day", "region = 'EU'")
        write_observations(s, whole, [(JAN, 100.0)])
        write_observations(s, eu, [(JAN, 40.0)])
        write_observations(s, eu, [], replace_from=JAN, replace_to=JAN)
    with store.session() as s:
        assert read_series(s, "revenue", "day") == [(JAN, 100.0)]
        assert read_series(s, "revenue", "day", "region = 'EU'") == []


def test_read_series_with_start_and_end(store: Store) -> None:
    with store.session() as s:
        series_id = get_or_create_series(s, "revenue", "day")
        write_observations(s, series_id, [(d, float(d.day)) for d in reversed(days(JAN, 10))])
    with store.session() as s:
        assert [d.day for d, _ in read_series(s, "revenue", "day")] == list(range(1, 11))
        assert read_series(s, "revenue", "day", start=date(2024, 1, 3), end=date(2024, 1, 5)) == [
            (date(2024, 1, 3), 3.0),
            (date(2024, 1, 4), 4.0),
            (date(2024, 1, 5), 5.0),
        ]
        assert read_series(s, "unknown", "day") == []


def test_values_are_stored_as_given_nan_as_none(store: Store) -> None:
    values = [0.1 + 0.2, -0.0, 1e308, -1e-308, float("inf"), float("nan"), None, 7]
    with store.session() as s:
        series_id = get_or_create_series(s, "m", "day")
        write_observations(s, series_id, list(zip(days(JAN, len(values)), values, strict=True)))
    with store.session() as s:
        got = [v for _, v in read_series(s, "m", "day")]
    assert got == [0.1 + 0.2, 0.0, 1e308, -1e-308, float("inf"), None, None, 7.0]
    assert isinstance(got[-1], float)


def test_bad_rows_are_refused(store: Store) -> None:
    with store.session() as s:
        series_id = get_or_create_series(s, "m", "day")
        with pytest.raises(ValueError, match="period 2024-01-01 is given twice"):
            write_observations(s, series_id, [(JAN, 1.0), (JAN, 2.0)])
        with pytest.raises(TypeError, match="must be a date, not datetime"):
            write_observations(s, series_id, [(datetime(2024, 1, 1, tzinfo=UTC), 1.0)])
        with pytest.raises(ValueError, match="after replace_to"):
            write_observations(s, series_id, [], replace_from=date(2024, 2, 1), replace_to=JAN)
        assert read_series(s, "m", "day") == []


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    with store.session() as s:
        series_id = get_or_create_series(s, "m", "day")
        write_observations(s, series_id, [(JAN, 1.0)])
    with pytest.raises(RuntimeError), store.session() as s:
        write_observations(s, series_id, [(d, 2.0) for d in days(JAN, 100)], replace_from=JAN)
        raise RuntimeError("the refresh failed after writing")
    with store.session() as s:
        assert read_series(s, "m", "day") == [(JAN, 1.0)]


def test_observations_need_an_existing_series_and_go_with_it(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(Observation(series_id=123456, period_start=JAN, value=1.0))
    with store.session() as s:
        series_id = get_or_create_series(s, "m", "day")
        write_observations(s, series_id, [(JAN, 1.0)])
    with store.session() as s:
        s.execute(delete(Series).where(Series.id == series_id))  # ON DELETE CASCADE
        assert s.scalar(select(func.count()).select_from(Observation)) == 0


def test_metric_grain_and_segment_are_unique(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(Series(metric="m", grain="day", segment="", origin="engine"))
        s.add(Series(metric="m", grain="day", segment="", origin="manual"))


def test_100k_rows_are_written_and_read_quickly(store: Store, backend: Backend) -> None:
    periods = days(date(1900, 1, 1), 100_000)
    with store.session() as s:
        series_id = get_or_create_series(s, "big", "day")
    started = time.perf_counter()
    with store.session() as s:
        write_observations(s, series_id, [(d, float(i)) for i, d in enumerate(periods)])
    written = time.perf_counter() - started
    with store.session() as s:
        rows = read_series(s, "big", "day")
    assert len(rows) == 100_000
    assert rows[-1] == (periods[-1], 99_999.0)
    if backend.name == "sqlite":
        assert written < 3.0, f"writing 100k rows took {written:.2f} s"
