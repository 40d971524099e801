"""Alerts in the store: the state of each (rule, series), every transition, and mutes.

A state row is written with a compare-and-set on its ``version`` (:func:`save_state`): the
evaluation that read version N writes N + 1 only if the row still has N. Of two processes
evaluating one rule at once, the second one's write changes nothing, :class:`StaleState` is
raised, and its whole transaction (its transitions and its outbox messages) is rolled back.
A new series is inserted; a second insert of the same (rule, series) breaks the unique key,
which rolls back the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from onpace.errors import NotFoundError
from onpace.store.coltypes import utcnow
from onpace.store.models import AlertMute, AlertSeriesState, AlertTransition
from onpace.store.plain import plain_object
from onpace.store.reads import alert_mutes, alert_states

states = alert_states  # the series' states, read in plain SQL (onpace.store.reads)
mutes = alert_mutes  # the mutes in force, read in plain SQL (onpace.store.reads)


class StaleState(Exception):
    """Another evaluation wrote this series' state since it was read."""


def lock_rule(s: Session, rule: str) -> None:
    """On PostgreSQL, take the rule's state rows FOR UPDATE (the compare-and-set covers SQLite, which
    serializes writers anyway)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(select(AlertSeriesState.id).where(AlertSeriesState.rule == rule).with_for_update())


def save_state(s: Session, row: AlertSeriesState | None, values: dict[str, Any], *, rule: str, series: str) -> None:
    """Write a series' state: insert it (``row`` None) or update it if nobody else did since it was
    read (else :class:`StaleState`)."""
    values = {**values, "memo": plain_object(values.get("memo") or {}, f"the memo of alert {rule!r}")}
    if row is None:
        s.add(AlertSeriesState(rule=rule, series=series, version=1, **values))
        s.flush()
        return
    done = s.execute(
        update(AlertSeriesState)
        .where(AlertSeriesState.id == row.id, AlertSeriesState.version == row.version)
        .values(**values, version=row.version + 1),
        execution_options={"synchronize_session": False},
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleState(f"alert {rule!r} series {series!r} was evaluated by another process meanwhile")


def add_transition(s: Session, **values: Any) -> AlertTransition:
    values["details"] = plain_object(values.get("details") or {}, "the details of an alert transition")
    row = AlertTransition(**values)
    s.add(row)
    s.flush()
    return row


def transitions(
    s: Session, *, rule: str | None = None, kpi: str | None = None, limit: int = 100
) -> list[AlertTransition]:
    """Transitions, newest first."""
    query = select(AlertTransition)
    if rule is not None:
        query = query.where(AlertTransition.rule == rule)
    if kpi is not None:
        query = query.where(AlertTransition.kpi == kpi)
    query = query.order_by(AlertTransition.at.desc(), AlertTransition.id.desc()).limit(limit)
    return list(s.scalars(query))


def add_mute(
    s: Session, *, rule: str, series: str | None, until: dt.datetime, by: str, why: str, now: dt.datetime | None = None
) -> AlertMute:
    row = AlertMute(rule=rule, series=series, until=until, by=by, why=why, created_at=now or utcnow())
    s.add(row)
    s.flush()
    return row


def end_mute(s: Session, mute_id: int, *, by: str, now: dt.datetime | None = None) -> AlertMute:
    row = s.get(AlertMute, mute_id)
    if row is None:
        raise NotFoundError(f"no mute {mute_id}")
    now = now or utcnow()
    if row.ended_at is None and row.until > now:
        row.ended_at, row.ended_by = now, by
        s.flush()
    return row


def firing_by_kpi(s: Session, rules: Sequence[str]) -> dict[str, int]:
    """How many series of ``rules`` are firing, per KPI (states of rules no longer defined stay in the store)."""
    query = (
        select(AlertSeriesState.kpi, func.count())
        .where(
            AlertSeriesState.state == "firing",
            AlertSeriesState.kpi.is_not(None),
            AlertSeriesState.rule.in_(list(rules)),
        )
        .group_by(AlertSeriesState.kpi)
    )
    return {str(kpi): int(n) for kpi, n in s.execute(query)}
