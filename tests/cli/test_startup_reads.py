"""What lets the reading commands start without SQLAlchemy gives what SQLAlchemy gives.

- The store's reads in plain SQL (``onpace.store.reads``), run on Python's ``sqlite3`` by
  ``store.reader()`` on a SQLite file, give the rows the ORM reads from the same store, column by
  column, with the same types (dates, UTC timestamps, JSON, booleans); and the same rows as the
  same data written to PostgreSQL and read through the ORM there.
- Every column of the store's tables is converted for the type it has in the models.
- ``onpace.config.store_url`` reads ``ONPACE_DATABASE_URL`` as the settings class does.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Date

from onpace.config import Settings, store_url
from onpace.config.environment import variable
from onpace.errors import StoreError
from onpace.store import alerts as store_alerts
from onpace.store import evaluations as ev
from onpace.store import reads, reviews, runs, schedule
from onpace.store.coltypes import UTCDateTime
from onpace.store.db import Store
from onpace.store.models import Base
from onpace.store.reader import CONVERTERS, SessionReader, SqliteReader, converter

NOW = dt.datetime(2026, 3, 15, 9, 30, 12, 345678, tzinfo=dt.UTC)
PARIS = dt.timezone(dt.timedelta(hours=1))


def _at(hours: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


def fill(store: Store) -> None:
    """Rows in every table the reading commands read, with every kind of value (None included)."""
    with store.session() as s:
        first = runs.start_run(s, "full", "tester", pid=1)
        runs.finish_run(s, first, "partial", metrics_total=3, metrics_failed=1, errors={"revenue": "no table"})
        runs.start_run(s, "incremental", "scheduler", pid=1, scope=["orders", "revenue"])
        for kpi, segment, hours, status in (
            ("signups", "", -30, "on_track"),
            ("signups", "", -2, "at_risk"),  # the newest of signups
            ("signups", "web", -1, "off_track"),
            ("revenue", "", -5, "achieved"),
            ("revenue", "", -5, "missed"),  # evaluated at the same time: the higher id is the newest
        ):
            ev.add_evaluation(
                s,
                kpi=kpi,
                segment=segment,
                run_id=first,
                evaluated_at=_at(hours),
                as_of=dt.date(2026, 3, 14),
                period_start=dt.date(2026, 3, 1),
                period_end=dt.date(2026, 3, 31),
                status=status,
                target=300.0,
                actual=120.5 if segment else None,
                probability=0.25,
                details={"reason": f"{status} by {hours} h", "notes": [1, 2.5, None], "ok": True},
            )
        for kpi, segment in (("signups", ""), ("signups", "web"), ("revenue", "")):
            ev.write_periods(
                s,
                kpi,
                segment,
                [
                    {
                        "period_start": dt.date(2026, month, 1),
                        "period_end": dt.date(2026, month + 1, 1) - dt.timedelta(days=1),
                        "as_of": dt.date(2026, month + 1, 1) - dt.timedelta(days=1),
                        "status": "achieved" if month % 2 else "missed",
                        "target": 100.0 * month,
                        "target_low": None,
                        "target_high": None,
                        "actual": 90.0 * month,
                        "attainment": 0.9,
                        "details": {"reason": f"month {month}"},
                    }
                    for month in (1, 2)
                ],
                run_id=first,
            )
        for kpi, hours, segment, period in (
            ("signups", -48, "", dt.date(2026, 2, 1)),
            ("signups", -3, "web", None),
            ("revenue", -1, "", dt.date(2026, 3, 1)),
        ):
            reviews.add_review(
                s,
                kpi,
                "ann",
                "at_risk",
                f"review of {kpi} at {hours} h",
                actions=["call the team", "check the data"] if period else [],
                segment=segment,
                period_start=period,
                reviewed_at=_at(hours),
            )
        for job, hours in (("refresh:warehouse", -2), ("refresh:warehouse", -1), ("alerts", -1)):
            claimed = schedule.claim(
                s, job, _at(hours), owner="host:1:x", host="host", pid=1, now=_at(hours), lease=dt.timedelta(minutes=5)
            )
            assert claimed is not None
            if hours == -2:
                schedule.finish(
                    s, claimed, owner="host:1:x", status="succeeded", now=_at(-1.9), rows=42, details={"metrics": 3}
                )
        base = {
            "kpi": "signups",
            "pending_count": 1,
            "evaluations": 4,
            "changes": [1, 3],
            "flapping": False,
            "last_as_of": dt.date(2026, 3, 14),
            "last_value": 0.5,
            "last_detail": "below 5",
        }
        store_alerts.save_state(
            s,
            None,
            {**base, "state": "firing", "since": _at(-6), "last_outcome": True, "outstanding": True}
            | {"last_notified_at": _at(-5), "last_evaluated_at": _at(-1), "memo": {"last": 3.5}},
            rule="few_signups",
            series="signups",
        )
        store_alerts.save_state(
            s,
            None,
            {**base, "kpi": None, "state": "normal", "since": None, "last_outcome": None, "outstanding": False}
            | {"last_notified_at": None, "last_evaluated_at": None, "last_as_of": None, "last_value": None},
            rule="stale_data",
            series="source:warehouse",
        )
        for rule, series, created, until in (
            ("few_signups", None, -2, 2),  # in force
            ("few_signups", "signups", -2, 5),  # in force, then ended below
            ("few_signups", "signups", -10, -1),  # over
            ("stale_data", None, 1, 4),  # not yet made
            ("stale_data", "source:warehouse", -3, 3),  # in force
            ("stale_data", "source:warehouse", -1, 0),  # ends at NOW to the microsecond: over then
            ("few_signups", "signups", 0, 1),  # made at NOW to the microsecond: in force then
        ):
            mute = store_alerts.add_mute(
                s, rule=rule, series=series, until=_at(until), by="ann", why="holiday", now=_at(created)
            )
            if until == 5:
                store_alerts.end_mute(s, mute.id, by="bob", now=_at(-1).astimezone(PARIS))


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(f"sqlite:///{(tmp_path_factory.mktemp('reads') / 'store.db').as_posix()}").ensure_current()
    fill(store)
    store.close()
    yield Store(store.url)  # as a reading command opens it: its engine not made yet


#: Each read with arguments; the table it reads.
READS: list[tuple[str, Callable[..., list[Any]], dict[str, Any]]] = [
    ("kpi_evaluations", reads.latest_evaluations, {}),
    ("kpi_evaluations", reads.latest_evaluations, {"kpi": "signups"}),
    ("kpi_evaluations", reads.latest_evaluations, {"kpi": "nothing"}),
    ("kpi_periods", reads.read_periods, {}),
    ("kpi_periods", reads.read_periods, {"kpi": "signups", "segment": "web"}),
    ("kpi_periods", reads.read_periods, {"until": dt.date(2026, 1, 31)}),
    ("reviews", reads.list_reviews, {}),
    ("reviews", reads.list_reviews, {"kpi": "signups", "limit": 1}),
    ("refresh_runs", reads.list_runs, {}),
    ("refresh_runs", reads.list_runs, {"limit": 1}),
    ("sched_job_runs", reads.list_job_runs, {}),
    ("sched_job_runs", reads.list_job_runs, {"job": "refresh:warehouse", "limit": 1}),
    ("alert_states", reads.alert_states, {}),
    ("alert_states", reads.alert_states, {"rule": "few_signups"}),
    ("alert_states", reads.alert_states, {"kpi": "signups"}),
    ("alert_mutes", reads.alert_mutes, {"at": NOW}),
    ("alert_mutes", reads.alert_mutes, {"at": NOW.astimezone(PARIS), "rules": ["stale_data"]}),
    ("alert_mutes", reads.alert_mutes, {"at": _at(-1.5), "rules": ["few_signups", "stale_data"]}),
    ("alert_mutes", reads.alert_mutes, {"at": NOW, "rules": []}),
]


def columns(table: str, rows: list[Any]) -> list[dict[str, str]]:
    """Each row's columns as ``repr`` (so that 1 and True, or two time zones of one instant, differ)."""
    names = [c.name for c in Base.metadata.tables[table].columns]
    return [{name: repr(getattr(row, name)) for name in names} for row in rows]


def read_all(store: Store) -> dict[int, list[dict[str, str]]]:
    with store.reader() as r:
        return {i: columns(table, read(r, **kw)) for i, (table, read, kw) in enumerate(READS)}


#: Columns that ``fill`` leaves to the clock (when each store was filled): not compared between stores.
CLOCK = {"started_at", "finished_at", "evaluated_at"}


def without_clock(found: dict[int, list[dict[str, str]]]) -> dict[int, list[dict[str, str]]]:
    return {
        i: [
            {k: v for k, v in row.items() if not (k in CLOCK and READS[i][0] in ("refresh_runs", "kpi_periods"))}
            for row in rows
        ]
        for i, rows in found.items()
    }


def test_the_sqlite_driver_reads_what_the_orm_reads(sqlite_store: Store) -> None:
    with sqlite_store.reader() as r:
        assert isinstance(r, SqliteReader)
    assert sqlite_store._engines is None  # no SQLAlchemy engine was made to read
    plain = read_all(sqlite_store)
    for i, (table, read, kw) in enumerate(READS):
        with sqlite_store.session(readonly=True) as s:
            orm = columns(table, read(s, **kw))
        assert plain[i] == orm, (read.__name__, kw)
    # and what each read is, by hand
    latest = [(e["kpi"], e["segment"], e["status"]) for e in plain[0]]
    assert latest == [
        ("'revenue'", "''", "'missed'"),
        ("'signups'", "''", "'at_risk'"),
        ("'signups'", "'web'", "'off_track'"),
    ]
    assert plain[0][1]["evaluated_at"] == repr(_at(-2))
    assert plain[0][1]["details"] == repr({"reason": "at_risk by -2 h", "notes": [1, 2.5, None], "ok": True})
    assert [p["period_start"] for p in plain[4]] == [repr(dt.date(2026, 2, 1)), repr(dt.date(2026, 1, 1))]
    assert len(plain[5]) == 3 and {p["period_start"] for p in plain[5]} == {repr(dt.date(2026, 1, 1))}
    assert [r["commentary"] for r in plain[7]] == ["'review of signups at -3 h'"]
    assert [(r["mode"], r["scope"], r["errors"]) for r in plain[8]] == [
        ("'incremental'", repr(["orders", "revenue"]), "{}"),
        ("'full'", "None", repr({"revenue": "no table"})),
    ]
    assert [(j["job"], j["rows"], j["details"]) for j in plain[11]] == [("'refresh:warehouse'", "None", "None")]
    firing = plain[13][0]
    assert (firing["last_outcome"], firing["outstanding"], firing["flapping"]) == ("True", "True", "False")
    assert plain[12][1]["last_outcome"] == "None" and plain[12][1]["kpi"] == "None"
    # in force at NOW: the mute of the whole rule, and the series' own one (the ended one ended at -1 h)
    assert [(m["rule"], m["series"], m["until"]) for m in plain[15]] == [
        ("'few_signups'", "'signups'", repr(_at(1))),
        ("'few_signups'", "None", repr(_at(2))),
        ("'stale_data'", "'source:warehouse'", repr(_at(3))),
    ]
    assert [m["series"] for m in plain[16]] == ["'source:warehouse'"]
    assert len(plain[17]) == 4 and plain[18] == []  # at -1.5 h the ended and the over one were in force


@pytest.mark.postgres
def test_postgresql_gives_the_same_rows(sqlite_store: Store, pg_url: str) -> None:
    from tests.store.backends import pg_backend

    with contextmanager(pg_backend)(pg_url, "onpace_reads") as backend:  # a database made for the test
        store = Store(backend.new_url()).ensure_current()
        try:
            fill(store)
            with store.reader() as r:
                assert isinstance(r, SessionReader)
            assert without_clock(read_all(store)) == without_clock(read_all(sqlite_store))
        finally:
            store.close()


def test_every_column_is_converted_for_its_type(sqlite_store: Store) -> None:
    """A column typed Date, UTCDateTime, JSON or Boolean in the models is converted by its declared type
    in a migrated SQLite store; any other column is read as the driver gives it."""
    expected = {Date: "DATE", UTCDateTime: "DATETIME", JSON: "JSON", Boolean: "BOOLEAN"}
    path = sqlite_store.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        for table in Base.metadata.sorted_tables:
            declared = dict(conn.execute("SELECT name, type FROM pragma_table_info(?)", (table.name,)).fetchall())
            for column in table.columns:
                kind = next((k for t, k in expected.items() if isinstance(column.type, t)), None)
                want = CONVERTERS[kind] if kind is not None else None
                assert converter(declared[column.name]) is want, (table.name, column.name, declared[column.name])


def test_a_reader_writes_nothing_and_fails_as_the_store_does(sqlite_store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="readonly") as refused, sqlite_store.reader() as r:
        assert isinstance(r, SqliteReader)
        r.connection.execute("DELETE FROM reviews")
    assert refused.value.public == "the store is read-only"
    with sqlite_store.reader() as r:
        assert len(reads.list_reviews(r)) == 3
    missing = Store(f"sqlite:///{(tmp_path / 'nowhere' / 'store.db').as_posix()}")
    with pytest.raises(StoreError, match="unable to open database file"), missing.reader():
        pass


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"ONPACE_DATABASE_URL": "postgresql://db/onpace"},
        {"onpace_database_url": "postgres://db/lower"},
        {"ONPACE_DATABASE_URL": ""},
        {"ONPACE_DATABASE": "postgresql://db/not-this-one", "XONPACE_DATABASE_URL": "postgresql://db/nor-this"},
    ],
)
def test_the_store_url_is_read_as_the_settings_read_it(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ONPACE_") or name.upper().startswith("XONPACE_"):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert variable("database_url") == Settings().database_url
    assert store_url(tmp_path) == store_url(tmp_path, Settings())
