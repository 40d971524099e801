"""When things run by themselves: a source's refresh cron and the project's other scheduled jobs.

A timing is a ``cron`` expression read in an IANA ``timezone``, or an interval (``every: "30 seconds"``).
The cron is standard cron (as Vixie cron and crontab(5) read it), with an optional first field of
seconds (six fields) and the aliases ``@hourly``, ``@daily``, ``@weekly``, ``@monthly`` and
``@yearly``:

- the day of the week counts 0 (or 7) as Sunday, 1 as Monday; names (``mon``) work too;
- when both the day of the month and the day of the week are restricted (neither starts with
  ``*``), a day matching either one fires (``0 9 1 * mon``: the 1st of the month and every Monday).

:func:`parse_cron` turns the text into the sets of values of each field (:class:`CronSpec`);
the scheduler (``onpace.services.scheduler``) computes the times from them, in the time zone.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from pydantic import Field, field_validator, model_validator

from onpace.catalog.base import Model

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# name, lowest, highest, names (the first name is worth `lowest`)
_FIELDS = (
    ("second", 0, 59, ()),
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, WEEKDAYS),
)
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_EVERY = re.compile(r"^\s*(\d+)\s*(seconds?|minutes?|hours?|days?|s|m|h|d)\s*$", re.I)
MAX_EVERY_SECONDS = 366 * 86400


@dataclass(frozen=True)
class CronSpec:
    """The values each field of a cron expression allows (weekdays: 0 = Sunday ... 6 = Saturday)."""

    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]
    day_or_weekday: bool  # both restricted: a day matching either fires (cron's rule); else both must match


@lru_cache(maxsize=256)
def parse_cron(text: str) -> CronSpec:
    """The fields of a cron expression (five fields, or six with seconds first); ValueError saying what is wrong."""
    expr = ALIASES.get(text.strip().lower(), text.strip())
    parts = expr.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    elif len(parts) != 6:
        raise ValueError(
            f"cron '{text}' has {len(parts)} fields; expected 5 (minute hour day-of-month month day-of-week) "
            "or 6 (seconds first), e.g. '0 6 * * *' for every day at 06:00"
        )
    values = [_field(text, part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = tuple(sorted({d % 7 for d in values[5]}))
    day_or = not parts[3].startswith("*") and not parts[5].startswith("*")
    return CronSpec(
        seconds=values[0],
        minutes=values[1],
        hours=values[2],
        days=values[3],
        months=values[4],
        weekdays=weekdays,
        day_or_weekday=day_or,
    )


def _field(text: str, part: str, name: str, low: int, high: int, names: tuple[str, ...]) -> tuple[int, ...]:
    found: set[int] = set()
    for item in part.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"cron '{text}': the step '{step_text}' of the {name} field is not a positive number")
            step = int(step_text)
        if base in ("*", "?"):
            first, last = low, (6 if names is WEEKDAYS else high)
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _value(text, a, name, low, high, names), _value(text, b, name, low, high, names)
            if first > last:
                raise ValueError(f"cron '{text}': the range '{base}' of the {name} field runs backwards")
        else:
            first = _value(text, base, name, low, high, names)
            last = high if step_text else first  # '5/15': from 5 to the end, every 15
        found.update(range(first, last + 1, step))
    return tuple(sorted(found))


def _value(text: str, token: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    word = token.lower()
    if names and word in names:
        return names.index(word) + low
    if not token.isdigit():
        hint = f" or a name ({', '.join(names)})" if names else ""
        raise ValueError(f"cron '{text}': '{token}' in the {name} field is not a number{hint}")
    number = int(token)
    if not low <= number <= high:
        raise ValueError(f"cron '{text}': {number} is out of range for the {name} field ({low}-{high})")
    return number


def parse_every(text: str) -> int:
    """The seconds of an interval such as ``"30 seconds"``, ``"5 minutes"``, ``"1 hour"``; ValueError if not one."""
    found = _EVERY.match(text)
    if found is None:
        raise ValueError(
            f"every '{text}' is not an interval; expected a number and a unit, e.g. '30 seconds', '5 minutes'"
        )
    unit = found[2].lower()
    unit = {"s": "second", "m": "minute", "h": "hour", "d": "day"}.get(unit, unit.rstrip("s"))
    seconds = int(found[1]) * _UNITS[unit]
    if not 1 <= seconds <= MAX_EVERY_SECONDS:
        raise ValueError(f"every '{text}' must be between 1 second and 366 days")
    return seconds


MAX_TIMEZONE_LENGTH = 64  # the longest IANA name has 32 characters


def check_timezone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name``; ValueError naming it when there is no such zone."""
    try:
        if len(name) > MAX_TIMEZONE_LENGTH:
            raise ValueError(name)
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder of the zone database ('Europe' is one: IsADirectoryError), a name too long
        # for a file name; both broke every page whose definitions held them (a 500 on /api/health)
        shown = name if len(name) <= MAX_TIMEZONE_LENGTH else f"{name[:MAX_TIMEZONE_LENGTH]}…"
        raise ValueError(
            f"unknown time zone '{shown}'; expected an IANA name such as 'Europe/Madrid' or 'UTC'"
        ) from None


class Timing(Model):
    """When a job runs: a cron expression read in a time zone, or an interval."""

    cron: str | None = Field(
        default=None,
        description="A cron expression: five fields (minute hour day-of-month month day-of-week, e.g. "
        "'0 6 * * *' for every day at 06:00), six with seconds first, or @hourly, @daily, @weekly, @monthly.",
    )
    every: str | None = Field(
        default=None, description="An interval instead of a cron, e.g. '30 seconds', '15 minutes', '1 hour'."
    )
    timezone: str = Field(default="UTC", description="The IANA time zone the cron is read in, e.g. 'Europe/Madrid'.")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            parse_cron(value)
        return value

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None:
            parse_every(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        check_timezone(value)
        return value

    @model_validator(mode="after")
    def _one(self) -> Timing:
        if (self.cron is None) == (self.every is None):
            raise ValueError("give either cron (e.g. '0 6 * * *') or every (e.g. '30 minutes'), not both or neither")
        return self

    @property
    def every_seconds(self) -> int | None:
        return parse_every(self.every) if self.every is not None else None

    def describe(self) -> str:
        """The timing in words for pages and logs: ``cron '0 6 * * *' (Europe/Madrid)`` or ``every 30 seconds``."""
        if self.every is not None:
            return f"every {self.every}"
        return f"cron '{self.cron}' ({self.timezone})"


class SourceSchedule(Timing):
    """When one source's metrics refresh: a cron expression read in a time zone (or an interval)."""


class JobSchedule(Timing):
    """When one more job (a registered kind: ``heartbeat``; reports and reminders later) runs."""

    enabled: bool = Field(default=True, description="false keeps the entry but runs nothing.")


class Schedule(Model):
    """The project's scheduled jobs besides the sources' refreshes, and how the scheduler claims them."""

    delivery_every: str = Field(
        default="60 seconds",
        description="How often queued notifications are delivered (the 'deliver' job; only with channels).",
    )
    lease_seconds: int = Field(
        default=60,
        ge=2,
        le=3600,
        description="How long a claimed run is held without a renewal (the running process renews it every "
        "third of it); a run whose process died is taken over by another process after it.",
    )
    max_attempts: int = Field(
        default=3, ge=1, le=10, description="How many times a run whose process died is taken over before it fails."
    )
    misfire_grace_seconds: int = Field(
        default=30,
        ge=0,
        le=86400,
        description="A tick that could not start within this many seconds of its time (every process was down, or "
        "the job's previous run was still going) is coalesced: only the latest missed tick runs, once.",
    )
    stop_grace_seconds: int = Field(
        default=30,
        ge=0,
        le=3600,
        description="How long a stopping process (SIGTERM) waits for a running job before releasing its claim.",
    )
    jobs: dict[str, JobSchedule] = Field(
        default_factory=dict,
        description="More jobs by name: a registered job kind (heartbeat; reports and reminders later) and its timing.",
    )

    @field_validator("delivery_every")
    @classmethod
    def _delivery(cls, value: str) -> str:
        parse_every(value)
        return value

    @field_validator("jobs")
    @classmethod
    def _job_names(cls, value: dict[str, JobSchedule]) -> dict[str, JobSchedule]:
        for name in value:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*(:[A-Za-z0-9_.-]+)?", name) or len(name) > 120:
                raise ValueError(
                    f"job name '{name}' is not a job kind (lower-case letters, digits, underscores), "
                    "optionally followed by ':' and a name, e.g. heartbeat or report:weekly"
                )
            if name == "deliver" or name.startswith("refresh:"):
                raise ValueError(
                    f"job '{name}' is made by onpace itself: set a source's refresh, or schedule.delivery_every"
                )
        return value

    @property
    def delivery_seconds(self) -> int:
        return parse_every(self.delivery_every)
