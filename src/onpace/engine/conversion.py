"""Conversion metrics: base events followed by conversion events of the same entity, within a window.

MetricFlow's conversion metric, on onpace's engine. Each conversion event (a row of the
conversion metric's dataset that passes its filters) is attributed to the latest base event
(a row of the base metric's dataset that passes its filters and the query's ``where``) of the
same entity on or before its day and, with a window, less than the window before it: a
conversion on day C counts for a base event on day B when ``C - window < B <= C``. A
conversion event with no such base event counts for none. The conversions of a period are the
conversion metric's aggregate (a count, a sum or a count of distinct values) over the events
attributed to base events of that period, by the base events' dimensions; the conversion rate
divides them by the base metric over the same period and dimensions.

Two base events of an entity on the same day: the event goes to the one whose dimensions sort
first, so that the attribution does not depend on the order rows are read in.
"""

from __future__ import annotations

from typing import Any

import ibis

from onpace.engine.calendar import interval

BASE_DAY = "__cb"  # a base event's day
BASE_ENTITY = "__cbe"
EVENT_DAY = "__cc"  # a conversion event's day
EVENT_ENTITY = "__cce"
EVENT_ID = "__cid"
EVENT_VALUE = "__cv"


def window_start(day: Any, window: tuple[int, str]) -> Any:
    """The day ``window`` before ``day`` (a date expression): base events must be after it."""
    return (day - interval(*window)).cast("date")


def attribute(base: Any, events: Any, window: tuple[int, str] | None, order: list[str]) -> Any:
    """One row per conversion event that has a base event, with that base event's columns.

    ``base``: base events with ``BASE_DAY``, ``BASE_ENTITY`` and the columns to keep (their
    period and dimensions, ``order``). ``events``: conversion events with ``EVENT_DAY``,
    ``EVENT_ENTITY``, ``EVENT_ID`` (unique per event) and ``EVENT_VALUE``.
    """
    preds = [base[BASE_ENTITY] == events[EVENT_ENTITY], base[BASE_DAY] <= events[EVENT_DAY]]
    if window is not None:
        preds.append(base[BASE_DAY] > window_start(events[EVENT_DAY], window))
    joined = base.join(events, preds)
    latest = ibis.row_number().over(
        group_by=[joined[EVENT_ID]], order_by=[joined[BASE_DAY].desc(), *[joined[c].asc() for c in order]]
    )
    ranked = joined.mutate(__crank=latest)
    return ranked.filter(ranked["__crank"] == 0)
