"""Schedules as code: cron expressions read as cron reads them, time zones, intervals, bad config."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.catalog.schedule import check_timezone, parse_cron, parse_every
from onpace.errors import DefinitionError, UserError
from onpace.services.scheduler import jobs_of
from onpace.services.scheduler.triggers import Cron, Every

from .conftest import tiny_project

U = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=U)  # type: ignore[misc]


def fires(trigger: Cron | Every, after: dt.datetime, count: int) -> list[dt.datetime]:
    out = []
    for _ in range(count):
        nxt = trigger.next_after(after)
        assert nxt is not None
        out.append(nxt)
        after = nxt
    return out


def test_cron_fields() -> None:
    spec = parse_cron("*/15 9-17 * * mon-fri")
    assert spec.seconds == (0,)
    assert spec.minutes == (0, 15, 30, 45)
    assert spec.hours == tuple(range(9, 18))
    assert spec.weekdays == (1, 2, 3, 4, 5)
    assert not spec.day_or_weekday
    assert parse_cron("*/20 * * * * *").seconds == (0, 20, 40)  # six fields: seconds first
    assert parse_cron("@daily") == parse_cron("0 0 * * *")
    assert parse_cron("0 0 * * 0").weekdays == parse_cron("0 0 * * 7").weekdays == (0,)  # Sunday, both ways
    assert parse_cron("5/20 * * * *").minutes == (5, 25, 45)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 6 * *", "cron '0 6 * *' has 4 fields; expected 5"),
        ("61 6 * * *", "cron '61 6 * * *': 61 is out of range for the minute field (0-59)"),
        ("0 6 * * funday", "cron '0 6 * * funday': 'funday' in the day of week field is not a number or a name"),
        ("0 17-9 * * *", "cron '0 17-9 * * *': the range '17-9' of the hour field runs backwards"),
        ("*/0 * * * *", "cron '*/0 * * * *': the step '0' of the minute field is not a positive number"),
    ],
)
def test_bad_cron(expression: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_cron(expression)
    assert str(info.value).startswith(message)


def test_weekday_numbers_are_crons_not_apschedulers() -> None:
    # 2026-12-08 is a Tuesday; cron's 1 is Monday (APScheduler 3's own 1 would be Tuesday)
    assert fires(Cron("0 9 * * 1"), at(2026, 12, 8), 1) == [at(2026, 12, 14, 9)]
    assert fires(Cron("0 9 * * 0"), at(2026, 12, 8), 1) == [at(2026, 12, 13, 9)]  # Sunday


def test_day_of_month_or_day_of_week_as_cron() -> None:
    # both restricted: the 1st of the month OR a Monday (2027-01-01 is a Friday)
    got = [d.date() for d in fires(Cron("0 9 1 * mon"), at(2026, 12, 8), 5)]
    assert got == [
        dt.date(2026, 12, 14),
        dt.date(2026, 12, 21),
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 1),
        dt.date(2027, 1, 4),
    ]
    # one of them '*': both must match (here: only the weekday matters)
    assert [d.date() for d in fires(Cron("0 9 * * mon"), at(2026, 12, 29), 1)] == [dt.date(2027, 1, 4)]


def test_time_zone_and_daylight_saving_time() -> None:
    new_york = Cron("0 6 * * *", "America/New_York")
    assert new_york.next_after(at(2026, 1, 10)) == at(2026, 1, 10, 11)  # EST = UTC-5
    assert new_york.next_after(at(2026, 7, 10)) == at(2026, 7, 10, 10)  # EDT = UTC-4
    madrid = Cron("30 2 * * *", "Europe/Madrid")
    # clocks go forward on 2026-03-29 at 02:00 (02:30 does not exist): it fires at 03:30 CEST, once
    assert fires(madrid, at(2026, 3, 27), 4) == [
        at(2026, 3, 27, 1, 30),
        at(2026, 3, 28, 1, 30),
        at(2026, 3, 29, 1, 30),
        at(2026, 3, 30, 0, 30),
    ]
    # clocks go back on 2026-10-25 at 03:00 (02:30 happens twice): a daily job fires once
    assert fires(madrid, at(2026, 10, 24, 12), 2) == [at(2026, 10, 25, 0, 30), at(2026, 10, 26, 1, 30)]
    # a job of every hour fires in both 02:30s
    hourly = Cron("30 * * * *", "Europe/Madrid")
    assert fires(hourly, at(2026, 10, 25, 0), 3) == [
        at(2026, 10, 25, 0, 30),
        at(2026, 10, 25, 1, 30),
        at(2026, 10, 25, 2, 30),
    ]


def test_latest_tick() -> None:
    assert Cron("0 6 * * *", "Europe/Madrid").latest(at(2026, 12, 8, 12)) == at(2026, 12, 8, 5)
    assert Cron("0 6 * * *", "Europe/Madrid").latest(at(2026, 12, 8, 4)) == at(2026, 12, 7, 5)
    assert Cron("*/5 * * * * *").latest(at(2026, 12, 8, 12, 0, 7)) == at(2026, 12, 8, 12, 0, 5)
    assert Cron("0 0 1 1 *").latest(at(2026, 12, 8)) == at(2026, 1, 1)


def test_intervals_are_aligned_to_the_epoch() -> None:
    assert parse_every("30 seconds") == 30
    assert parse_every("5 minutes") == 300
    assert parse_every("1 h") == 3600
    every = Every(7)
    epoch_seconds = int((at(2026, 12, 8, 12, 0, 7) - at(1970, 1, 1)).total_seconds())
    expected = at(1970, 1, 1) + dt.timedelta(seconds=epoch_seconds // 7 * 7)
    assert every.latest(at(2026, 12, 8, 12, 0, 7)) == expected
    assert every.next_after(expected) == expected + dt.timedelta(seconds=7)
    assert every.next_after(expected - dt.timedelta(microseconds=1)) == expected
    with pytest.raises(ValueError, match="every '2 minutess' is not an interval"):
        parse_every("2 minutess")


def test_bad_schedule_in_onpace_yml_names_the_source(tmp_path: Path) -> None:
    root = tiny_project(
        tmp_path / "p",
        "schedule:\n  jobs:\n    heartbeat: {every: 2 fortnights}\n",
        source_refresh="{cron: '0 25 * * *', timezone: Europe/Nowhere}",
    )
    with pytest.raises(DefinitionError) as info:
        load_project(root)
    text = str(info.value)
    assert "sources.warehouse.refresh.cron: cron '0 25 * * *': 25 is out of range for the hour field (0-23)" in text
    assert "sources.warehouse.refresh.timezone: unknown time zone 'Europe/Nowhere'" in text
    assert "schedule.jobs.heartbeat.every: every '2 fortnights' is not an interval" in text


def test_cron_and_every_are_exclusive(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", "", source_refresh="{cron: '0 6 * * *', every: 1 hour}")
    with pytest.raises(DefinitionError, match=r"sources\.warehouse\.refresh: .*either cron .* or every"):
        load_project(root)


def test_unknown_job_kind_is_named(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", "schedule:\n  jobs:\n    hartbeat: {every: 1 minute}\n")
    with pytest.raises(
        UserError, match=r"schedule.jobs.hartbeat: there is no job kind 'hartbeat' .*did you mean 'heartbeat'"
    ):
        jobs_of(load_project(root))


def test_jobs_of_a_project(tmp_path: Path) -> None:
    root = tiny_project(
        tmp_path / "p",
        "schedule:\n  jobs:\n    heartbeat: {every: 30 seconds}\n    heartbeat:second: {cron: '0 * * * *', enabled: false}\n",
        source_refresh="{cron: '0 6 * * 1-5', timezone: Europe/Madrid}",
    )
    jobs = {job.name: job for job in jobs_of(load_project(root))}
    assert sorted(jobs) == ["heartbeat", "refresh:warehouse"]  # disabled: left out; no channels: no deliver
    assert jobs["refresh:warehouse"].trigger.describe() == "cron '0 6 * * 1-5' (Europe/Madrid)"
    assert jobs["refresh:warehouse"].origin == "sources.warehouse.refresh"


@pytest.mark.parametrize("zone", ["Europe", "America", "Etc", "x" * 300])
def test_a_folder_of_the_zone_database_or_a_long_name_is_an_unknown_time_zone(tmp_path: Path, zone: str) -> None:
    """``timezone: Europe`` (a folder of the zone database: IsADirectoryError) or a name too long for a
    file name (OSError) escaped the check: a report made in the app answered 500, and once in a YAML
    file every page, /api/health included, answered 500 and ``onpace validate`` crashed."""
    with pytest.raises(ValueError, match="unknown time zone") as info:
        check_timezone(zone)
    assert len(str(info.value)) < 200  # a long name is not repeated whole
    root = tiny_project(tmp_path / "p", "", source_refresh=f"{{cron: '0 6 * * *', timezone: {zone}}}")
    with pytest.raises(DefinitionError, match=r"sources\.warehouse\.refresh\.timezone: unknown time zone"):
        load_project(root)
