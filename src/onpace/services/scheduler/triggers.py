"""When a job fires: the times of a cron in its time zone (APScheduler's cron trigger), or of an interval.

Every process computes the same times, so the claim of a tick (job, time) means the same tick in
each: an interval's ticks are whole multiples of it since 1970-01-01 UTC (``every: 1 minute``
fires on each minute), never counted from when a process started. Times are whole seconds, UTC.

The cron is read as cron reads it (:mod:`onpace.catalog.schedule`), not as APScheduler 3's own
fields would: its weekday numbers start at Monday = 0 and it requires both the day of the month and
the day of the week to match, so the expression's values are handed over as explicit lists, and
the two day fields as two triggers of which either fires when both are restricted.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Protocol

from onpace.catalog.schedule import CronSpec, Timing, check_timezone, parse_cron

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_APS_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # by cron's number, as APScheduler names them
_LOOKBACK = (
    dt.timedelta(minutes=1),
    dt.timedelta(hours=1),
    dt.timedelta(days=1),
    dt.timedelta(days=32),
    dt.timedelta(days=367),
    dt.timedelta(days=366 * 8),
)


class Trigger(Protocol):
    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """The first fire time strictly after ``moment`` (None: never again)."""

    def latest(self, now: dt.datetime) -> dt.datetime | None:
        """The last fire time at or before ``now`` (None: none in the last years)."""

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Every:
    """Every ``seconds`` seconds, on the whole multiples of it since the epoch."""

    seconds: int

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        elapsed = (moment - _EPOCH).total_seconds()
        return _EPOCH + dt.timedelta(seconds=(math.floor(elapsed / self.seconds) + 1) * self.seconds)

    def latest(self, now: dt.datetime) -> dt.datetime:
        elapsed = (now - _EPOCH).total_seconds()
        return _EPOCH + dt.timedelta(seconds=math.floor(elapsed / self.seconds) * self.seconds)

    def describe(self) -> str:
        return f"every {self.seconds} s"


class Cron:
    """A cron expression in an IANA time zone.

    Daylight saving time: a time that does not exist (clocks go forward) fires when the clocks say
    it an hour later (02:30 fires at 03:30); a time that occurs twice (clocks go back) fires once,
    the first time, for a job at fixed hours; a job of every hour (``*`` hours) fires in both.
    """

    def __init__(self, expression: str, timezone: str = "UTC") -> None:
        self.expression = expression
        self.timezone = timezone
        spec = parse_cron(expression)
        self._trigger = _aps_trigger(spec, timezone)
        self._zone = check_timezone(timezone)
        self._fixed_hours = len(spec.hours) < 24

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        while True:
            fire = self._trigger.get_next_fire_time(None, moment + dt.timedelta(microseconds=1))
            if fire is None:
                return None
            fire = fire.astimezone(dt.UTC)
            if not (self._fixed_hours and _repeated(fire, self._zone)):
                return fire
            moment = fire  # the hour the clocks went back repeats: a job at fixed hours ran the first time

    def latest(self, now: dt.datetime) -> dt.datetime | None:
        for back in _LOOKBACK:  # the smallest window back from now that holds a fire time, then forward in it
            fire = self.next_after(now - back)
            if fire is None or fire > now:
                continue
            while True:
                following = self.next_after(fire)
                if following is None or following > now:
                    return fire
                fire = following
        return None

    def describe(self) -> str:
        return f"cron '{self.expression}' ({self.timezone})"


def trigger_of(timing: Timing) -> Trigger:
    """The trigger of a timing from onpace.yml (a cron in its zone, or an interval)."""
    if timing.every is not None:
        return Every(timing.every_seconds or 1)
    assert timing.cron is not None
    return Cron(timing.cron, timing.timezone)


def _aps_trigger(spec: CronSpec, timezone: str) -> Any:
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger

    zone = check_timezone(timezone)
    common = {
        "second": _listed(spec.seconds),
        "minute": _listed(spec.minutes),
        "hour": _listed(spec.hours),
        "month": _listed(spec.months),
        "timezone": zone,
    }
    days = _listed(spec.days)
    weekdays = ",".join(_APS_WEEKDAYS[d] for d in spec.weekdays)
    if spec.day_or_weekday:
        return OrTrigger([CronTrigger(day=days, **common), CronTrigger(day_of_week=weekdays, **common)])
    return CronTrigger(day=days, day_of_week=weekdays, **common)


def _repeated(moment: dt.datetime, zone: dt.tzinfo) -> bool:
    """Whether ``moment`` is the second time its wall-clock time occurs (the hour after clocks go back)."""
    local = moment.astimezone(zone)
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _listed(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)
