"""When a mute asked for in the web app or the API ends: a time, or a duration from now.

One home for what both interfaces accept (a time without an offset is UTC; a duration as alert
rules write one: '30 minutes', '2h', '1 day', '1 week'; it ends in the future, at most 366 days
from now), so the Alerts page and ``POST /api/alerts/{name}/mute`` refuse the same things with
the same words.
"""

from __future__ import annotations

import datetime as dt

from onpace.catalog.alerts import DURATION_FORMS, parse_duration
from onpace.errors import UserError

LONGEST = dt.timedelta(days=366)


def mute_end(*, until: dt.datetime | None, lasting: str | None, now: dt.datetime | None = None) -> dt.datetime:
    """The end of a mute (UTC) from exactly one of ``until`` and ``lasting`` (the API's ``for``); a
    UserError (400) naming the field otherwise."""
    now = now or dt.datetime.now(dt.UTC)
    lasting = (lasting or "").strip() or None
    if until is None and lasting is None:  # it said "not both" to a mute that gave neither
        raise UserError(f"for: give how long the mute lasts ({DURATION_FORMS}), or 'until' (a time)")
    if until is not None and lasting is not None:
        raise UserError(f"give either 'until' (a time) or 'for' ({DURATION_FORMS}), not both")
    if lasting is not None:
        try:
            end = now + parse_duration(lasting, "for")
        except (ValueError, OverflowError) as exc:
            raise UserError(str(exc) if isinstance(exc, ValueError) else f"for: {lasting!r} is too long") from None
        field = "for"
    else:
        assert until is not None
        field = "until"
        try:
            end = (until if until.tzinfo is not None else until.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        except OverflowError:
            raise UserError(f"until: {until.isoformat()} is not a time onpace can keep") from None
    if end <= now:
        raise UserError(f"{field}: the mute must end in the future")
    if end - now > LONGEST:
        raise UserError(f"{field}: a mute lasts at most 366 days (change or remove the rule to silence it longer)")
    return end
