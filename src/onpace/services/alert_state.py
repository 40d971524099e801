"""The state machine of one alert series: pure, no store and no IO.

::

            condition holds                 held for N evaluations / a duration
   normal ─────────────────► pending ─────────────────────────────────────► firing
     ▲  ▲                      │  condition stops                            │  │ still holds: re-notify
     │  └──────────────────────┘                                             │  └─ every `renotify_every`
     │        condition does not hold                                        │ condition stops
     └─────────────────────────────── resolved ◄─────────────────────────────┘
                                (next evaluation without the condition)

   no data (per the rule's `no_data`) ─► no_data      the rule cannot be evaluated ─► error
   (from either, the next evaluation with a value goes on as from normal)

:func:`step` takes the series' state, the outcome of one evaluation (the condition held:
True; it did not: False; no data: None; the rule failed: :data:`ERROR`), the time, the
rule's settings and whether the series is muted; it returns the new state, the transition
(if any) and the message to send (if any):

- **firing**: when the series enters firing, unless a firing message is outstanding (sent
  and not yet followed by a resolution); a series that fired while muted gets it at the
  first evaluation after the mute, if it still fires;
- **renotify**: while firing, every ``renotify_every`` after the last message;
- **resolved**: when it leaves firing, if ``notify_on_resolve`` and a firing message was sent;
- **flapping**: once, when the condition has changed more than ``changes`` times within the
  last ``window`` evaluations: the series is then held firing (no transition, no message)
  until the condition is steady again.

A mute suppresses every message; the transitions are still recorded (the caller stores them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Final, Literal

State = Literal["normal", "pending", "firing", "resolved", "no_data", "error"]
Message = Literal["firing", "renotify", "resolved", "flapping"]
NoDataPolicy = Literal["no_data", "keep", "ok", "alerting"]


class _Error:
    def __repr__(self) -> str:
        return "ERROR"


ERROR: Final = _Error()
Outcome = bool | None | _Error


@dataclass(frozen=True)
class Settings:
    """A rule's state-machine settings (from :class:`onpace.catalog.alerts.AlertRule`)."""

    pending_evaluations: int | None = None  # the condition must hold this many evaluations in a row
    pending_duration: dt.timedelta | None = None  # ... or this long since it first held
    notify_on_resolve: bool = True
    renotify_every: dt.timedelta | None = None
    flapping_changes: int | None = 4  # None: no flapping protection
    flapping_window: int = 10
    no_data: NoDataPolicy = "no_data"


@dataclass(frozen=True)
class SeriesState:
    """What the machine remembers about one series between evaluations."""

    state: State = "normal"
    since: dt.datetime | None = None  # when it entered ``state``
    pending_count: int = 0  # evaluations in a row the condition held, while pending
    evaluations: int = 0  # evaluations with an outcome so far
    last_outcome: bool | None = None  # the condition at the last evaluation with data
    changes: tuple[int, ...] = ()  # evaluation numbers at which the condition changed (the latest window)
    flapping: bool = False  # held firing because the condition flaps (its message sent)
    outstanding: bool = False  # a firing message was sent and no resolution yet
    last_notified: dt.datetime | None = None


@dataclass(frozen=True)
class Step:
    """The outcome of one evaluation of one series."""

    state: SeriesState
    transition: tuple[State, State] | None = None
    message: Message | None = None  # what to send (None when muted or nothing to say)
    suppressed: Message | None = None  # the message a mute held back
    flapping: bool = False  # the series is held because it flaps
    notes: tuple[str, ...] = field(default=())

    @property
    def notified(self) -> bool:
        return self.message is not None


def step(current: SeriesState, outcome: Outcome, now: dt.datetime, settings: Settings, *, muted: bool = False) -> Step:
    """One evaluation of a series: the next state, its transition and the message to send."""
    if isinstance(outcome, _Error):
        return _move(current, "error", now)
    if outcome is None:
        if settings.no_data == "keep":
            return Step(current)
        if settings.no_data == "no_data":
            # the outstanding firing message stays outstanding: no second one when data returns
            return _move(replace(current, pending_count=0), "no_data", now)
        outcome = settings.no_data == "alerting"
    return _judge(current, outcome, now, settings, muted)


def _judge(current: SeriesState, holds: bool, now: dt.datetime, settings: Settings, muted: bool) -> Step:
    number = current.evaluations + 1
    changes = current.changes
    if current.last_outcome is not None and current.last_outcome != holds:
        changes = (*changes, number)
    if settings.flapping_changes is not None:
        changes = tuple(n for n in changes if n > number - settings.flapping_window)
    else:
        changes = ()
    flaps = settings.flapping_changes is not None and len(changes) > settings.flapping_changes
    base = replace(current, evaluations=number, last_outcome=holds, changes=changes)

    if flaps and current.state == "firing":
        # held firing: no transition; one message says it flaps (unless it did already)
        held = replace(base, flapping=True)
        if current.flapping:
            return Step(held, flapping=True)
        return _notify(held, "flapping", now, muted, flapping=True)
    if not flaps and current.flapping:
        base = replace(base, flapping=False)

    if holds:
        if current.state == "firing":
            return _while_firing(base, now, settings, muted)
        count = current.pending_count + 1 if current.state == "pending" else 1
        since = current.since if current.state == "pending" and current.since is not None else now
        if _pending_over(count, since, now, settings):
            fired = _moved(replace(base, pending_count=0, flapping=flaps), "firing", now)
            if current.outstanding:  # it fired before a gap (no data, an error): no second firing message
                if _renotify_due(current, now, settings):
                    return _notify(fired.state, "renotify", now, muted, fired.transition, flaps)
                return replace(fired, flapping=flaps)
            if flaps:
                return _notify(fired.state, "flapping", now, muted, fired.transition, True)
            return _notify(fired.state, "firing", now, muted, fired.transition)
        if current.state == "pending":
            return Step(replace(base, pending_count=count))
        return Step(
            replace(base, state="pending", since=now, pending_count=count),
            transition=(current.state, "pending"),
        )

    # the condition does not hold
    if current.state == "firing" or current.outstanding:  # (outstanding: it fired, then no data or an error)
        left = _moved(replace(base, pending_count=0), "resolved", now)
        if current.outstanding and settings.notify_on_resolve:
            return _notify(replace(left.state, outstanding=False), "resolved", now, muted, left.transition)
        return replace(left, state=replace(left.state, outstanding=False))
    if current.state in ("pending", "resolved", "no_data", "error"):
        return _moved(replace(base, pending_count=0, outstanding=False), "normal", now)
    return Step(replace(base, pending_count=0))


def _while_firing(base: SeriesState, now: dt.datetime, settings: Settings, muted: bool) -> Step:
    if not base.outstanding:  # fired while muted (or before a mute ended): say it now
        return _notify(base, "firing", now, muted)
    if _renotify_due(base, now, settings):
        return _notify(base, "renotify", now, muted)
    return Step(base)


def _renotify_due(state: SeriesState, now: dt.datetime, settings: Settings) -> bool:
    return (
        settings.renotify_every is not None
        and state.last_notified is not None
        and now - state.last_notified >= settings.renotify_every
    )


def _pending_over(count: int, since: dt.datetime, now: dt.datetime, settings: Settings) -> bool:
    if settings.pending_duration is not None:
        return now - since >= settings.pending_duration
    return count >= (settings.pending_evaluations or 1)


def _moved(state: SeriesState, to: State, now: dt.datetime) -> Step:
    return Step(replace(state, state=to, since=now), transition=(state.state, to))


def _move(current: SeriesState, to: State, now: dt.datetime) -> Step:
    if current.state == to:
        return Step(current)
    return _moved(current, to, now)


def _notify(
    state: SeriesState,
    message: Message,
    now: dt.datetime,
    muted: bool,
    transition: tuple[State, State] | None = None,
    flapping: bool = False,
) -> Step:
    if muted:
        # a mute holds the message back; a firing one stays due (it is sent once the mute ends)
        return Step(state, transition, suppressed=message, flapping=flapping)
    opens = message in ("firing", "renotify", "flapping")
    return Step(
        replace(state, last_notified=now, outstanding=opens if message != "resolved" else False),
        transition,
        message=message,
        flapping=flapping,
    )
