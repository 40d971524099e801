"""Days of a KPI period: how many in all, how many elapsed as of a date.

Days are counted inclusively: a period from July 1 to September 30 has 92
days, and as of its first day one day has elapsed (the as-of date's own data
counts). Before the start nothing has elapsed; on or after the end all of it.
"""

from __future__ import annotations

import datetime as dt

from onpace.errors import UserError


def total_days(start: dt.date, end: dt.date) -> int:
    """Days from ``start`` to ``end``, both included."""
    if end < start:
        raise UserError(f"the period ends ({end}) before it starts ({start})")
    return (end - start).days + 1


def elapsed_days(start: dt.date, end: dt.date, as_of: dt.date) -> int:
    """Days of the period up to and including ``as_of``: 0 before the start, all of them after the end."""
    total = total_days(start, end)
    if as_of < start:
        return 0
    return min((as_of - start).days + 1, total)


def remaining_days(start: dt.date, end: dt.date, as_of: dt.date) -> int:
    """Days of the period after ``as_of``."""
    return total_days(start, end) - elapsed_days(start, end, as_of)


def is_over(end: dt.date, as_of: dt.date) -> bool:
    """True once the data of the period's last day is in (``as_of`` on or after the end)."""
    return as_of >= end
