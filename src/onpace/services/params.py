"""Types of the dates and times that pages and API routes take as query parameters, checked as parsed.

A date outside the range onpace supports (1900-01-01 to 2199-12-31, :mod:`onpace.calendar`) is
refused by the parameter's own validation (422 naming the parameter and the value), not later by
the period arithmetic that cannot use it; a time without an offset is UTC, as everywhere in the
store.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

from onpace import calendar as cal


def supported_day(value: dt.date) -> dt.date:
    """``value`` when onpace can compute with it; a ValueError naming the range otherwise."""
    problem = cal.out_of_range(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def supported_moment(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC (a time without an offset is UTC); a ValueError when its date is out of range."""
    supported_day(value.date())  # first: a far date cannot overflow the conversion below
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=dt.UTC)
    moment = value.astimezone(dt.UTC)
    supported_day(moment.date())  # 1900-01-01T00:30+01:00 is 1899 in UTC
    return moment


Day = Annotated[dt.date, AfterValidator(supported_day)]
Moment = Annotated[dt.datetime, AfterValidator(supported_moment)]
