"""A refresh writes the series of one group in one transaction, each series in a savepoint.

The shop is conftest.py's. Its month group (one query) holds ``late_lines``, ``late_rate``,
``lines`` and ``revenue``, in that order. After the first refresh a third region, EAST, is
added with amount 5 and no late rows on every day, so by hand January 2024 (31 days) reads:

- before: revenue 31 x (10 + 20) = 930, lines 31 x 2 = 62, late_lines 6, late_rate 6 / 62;
- after:  revenue 31 x (10 + 20 + 5) = 1085, lines 31 x 3 = 93, late_lines 6, late_rate 6 / 93.

The store is read with plain SQL, never through the functions under test.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Connection, event, select

from onpace.calendar import Grain
from onpace.catalog.project import load_project
from onpace.errors import StoreError
from onpace.services import refresh as refreshing
from onpace.services.failures import Failure
from onpace.services.refresh import refresh
from onpace.store import bulk, runs
from onpace.store import observations as obs
from onpace.store.db import Store
from onpace.store.models import Observation, Series

JAN = dt.date(2024, 1, 1)
MONTH_GROUP = ["late_lines", "late_rate", "lines", "revenue"]


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


def _add_east(shop: Path) -> None:
    con = duckdb.connect(str(shop / "data" / "warehouse.duckdb"))
    try:
        con.execute("INSERT INTO sales SELECT day, 'EAST', 5.0, 0 FROM sales WHERE region = 'NORTH'")
    finally:
        con.close()


def _series(store: Store, metric: str, grain: str = "month", segment: str = "") -> tuple[Any, ...]:
    """(id, data_until, last_run_id, definition_hash) of a series, by plain SQL."""
    with store.connection(readonly=True) as conn:
        row = conn.execute(
            select(Series.id, Series.data_until, Series.last_run_id, Series.definition_hash).where(
                Series.metric == metric, Series.grain == grain, Series.segment == segment
            )
        ).one()
    return tuple(row)


def _values(store: Store, series_id: int) -> dict[dt.date, float | None]:
    with store.connection(readonly=True) as conn:
        rows = conn.execute(
            select(Observation.period_start, Observation.value).where(Observation.series_id == series_id)
        ).all()
    return {period: value for period, value in rows}


def _fail_upsert_of(monkeypatch: pytest.MonkeyPatch, series_id: int) -> None:
    """The upsert of ``series_id`` raises, after its stale rows were deleted in the same savepoint."""
    real = bulk.upsert_observations

    def failing(s: Any, sid: int, *args: Any, **kwargs: Any) -> None:
        if sid == series_id:
            raise RuntimeError("boom")
        real(s, sid, *args, **kwargs)

    monkeypatch.setattr(bulk, "upsert_observations", failing)


def test_a_failed_series_keeps_its_values_while_the_rest_of_its_group_is_written(
    shop: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = load_project(shop)
    assert refresh(project, store, requested_by="test", evaluate=False).status == "succeeded"
    lines_before = _series(store, "lines")
    lines_values = _values(store, lines_before[0])
    assert lines_values[JAN] == 62 and len(lines_values) == 16  # 2024-01 .. 2025-04
    _add_east(shop)
    _fail_upsert_of(monkeypatch, lines_before[0])  # the third of the group's four series

    result = refresh(load_project(shop), store, full=True, requested_by="test", evaluate=False)

    assert result.failures == {Failure.series("lines", Grain.month): "RuntimeError: boom"}
    # lines: its delete was rolled back with its savepoint; rows and series row as they were
    assert _series(store, "lines") == lines_before
    assert _values(store, lines_before[0]) == lines_values
    # the others of the same group (before and after it) were written by this run
    written = {name: _series(store, name) for name in ["late_lines", "late_rate", "revenue"]}
    assert {name: row[2] for name, row in written.items()} == dict.fromkeys(written, result.run_id)
    assert _values(store, written["revenue"][0])[JAN] == 1085
    assert _values(store, written["late_lines"][0])[JAN] == 6
    assert _values(store, written["late_rate"][0])[JAN] == pytest.approx(6 / 93)
    # and the other groups too (revenue by day: 10 + 20 + 5)
    assert _values(store, _series(store, "revenue", "day")[0])[JAN] == 35


def test_each_group_is_one_transaction_with_one_commit(shop: Path, store: Store) -> None:
    project = load_project(shop)
    refresh(project, store, requested_by="test", evaluate=False)
    _add_east(shop)
    seen: list[tuple[list[str], int, int]] = []  # (metrics, transactions begun, commits) per group
    counts = {"begin": 0, "commit": 0}

    def begun(_conn: Connection) -> None:
        counts["begin"] += 1

    def committed(_conn: Connection) -> None:
        counts["commit"] += 1

    real = refreshing._write_group

    def counted(*args: Any) -> int:
        before = dict(counts)
        try:
            return real(*args)
        finally:
            seen.append(
                (
                    [spec.metric for spec in args[5]],
                    counts["begin"] - before["begin"],
                    counts["commit"] - before["commit"],
                )
            )

    event.listen(store.engine, "begin", begun)
    event.listen(store.engine, "commit", committed)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(refreshing, "_write_group", counted)
            result = refresh(load_project(shop), store, requested_by="test", evaluate=False)  # incremental
    finally:
        event.remove(store.engine, "begin", begun)
        event.remove(store.engine, "commit", committed)

    assert result.status == "succeeded", result.errors
    assert (MONTH_GROUP, 1, 1) in seen
    assert len(seen) == 12 and all((begins, commits) == (1, 1) for _, begins, commits in seen), seen
    # the month group's four series were all written by that one commit
    for name in MONTH_GROUP:
        assert _series(store, name)[2] == result.run_id
    assert _values(store, _series(store, "lines")[0])[dt.date(2025, 4, 1)] == 15 * 3  # April 2025: 15 days


def test_a_commit_the_store_refuses_stops_the_refresh_and_writes_nothing_of_the_group(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert refresh(load_project(shop), store, requested_by="test", evaluate=False).status == "succeeded"
        before = {name: (_series(store, name), _values(store, _series(store, name)[0])) for name in MONTH_GROUP}
        _add_east(shop)
        writing = {"month": False}
        real_group = refreshing._write_group

        def flagged(*args: Any) -> int:
            writing["month"] = args[3] == Grain.month and not args[4]
            try:
                return real_group(*args)
            finally:
                writing["month"] = False

        real_commit = store.engine.dialect.do_commit

        def disk_full(dbapi_connection: Any) -> None:
            if writing["month"]:
                raise sqlite3.OperationalError("database or disk is full")
            real_commit(dbapi_connection)

        monkeypatch.setattr(refreshing, "_write_group", flagged)
        monkeypatch.setattr(store.engine.dialect, "do_commit", disk_full)
        with pytest.raises(StoreError, match="disk is full"):
            refresh(load_project(shop), store, full=True, requested_by="test", evaluate=False)
        monkeypatch.undo()

        with store.session(readonly=True) as s:
            run = runs.last_run(s)
        assert run is not None and run.status == "failed" and run.errors["*"].endswith("disk is full")
        after = {name: (_series(store, name), _values(store, _series(store, name)[0])) for name in MONTH_GROUP}
        assert after == before  # the whole group was rolled back: every series keeps its last good values
    finally:
        store.close()


def test_series_are_found_or_created_and_written_with_their_definition(store: Store) -> None:
    with store.session() as s:
        run_id = runs.start_run(s, "full", "test", 1)
        first = obs.get_or_create_series(s, "m", "month", "", "engine")
        assert obs.get_or_create_series(s, "m", "month", "", "manual") == first  # found: origin kept
        other = obs.get_or_create_series(s, "m", "month", "region = 'EU'", "engine")
        rows = [(dt.date(2024, 1, 1), 1.0), (dt.date(2024, 2, 1), 2.0), (dt.date(2024, 3, 1), None)]
        assert obs.write_observations(s, first, rows, run_id=run_id, definition_hash="abc") == 3
        obs.write_observations(s, other, [(dt.date(2024, 1, 1), 5.0)])
    with store.connection(readonly=True) as conn:
        found = conn.execute(
            select(Series.segment, Series.origin, Series.data_until, Series.last_run_id, Series.definition_hash)
            .where(Series.metric == "m")
            .order_by(Series.segment)
        ).all()
    assert [tuple(row) for row in found] == [
        ("", "engine", dt.date(2024, 2, 1), run_id, "abc"),  # the last period with a value, not March's None
        ("region = 'EU'", "engine", dt.date(2024, 1, 1), None, None),
    ]
    with store.session() as s:  # without a definition: the one recorded stays
        held = s.get(Series, first)  # a Series the caller holds reads what was written
        assert held is not None and held.data_until == dt.date(2024, 2, 1)
        obs.write_observations(s, first, [(dt.date(2024, 3, 1), 3.0)])
        assert (held.data_until, held.last_run_id, held.definition_hash) == (dt.date(2024, 3, 1), run_id, "abc")
        obs.write_observations(s, first, [(dt.date(2024, 4, 1), 4.0)], run_id=run_id, definition_hash="def")
        assert (held.data_until, held.definition_hash) == (dt.date(2024, 4, 1), "def")
    assert _series(store, "m")[1:] == (dt.date(2024, 4, 1), run_id, "def")
