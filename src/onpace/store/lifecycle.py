"""Lifecycle events: a metric promoted to a KPI, or a KPI demoted to a metric, with who and why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onpace.store.coltypes import utcnow
from onpace.store.models import LifecycleAction, LifecycleEvent
from onpace.store.plain import plain_object


def record_lifecycle(
    s: Session,
    metric: str,
    action: LifecycleAction,
    actor: str,
    reason: str,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Record a promotion or demotion of ``metric``; returns its id."""
    row = LifecycleEvent(
        metric=metric,
        action=action,
        actor=actor,
        at=utcnow(),
        reason=reason,
        details=plain_object(details, "lifecycle details"),
    )
    s.add(row)
    s.flush()
    return row.id


def list_lifecycle(s: Session, metric: str | None = None) -> list[LifecycleEvent]:
    """Promotions and demotions (of one ``metric``), oldest first."""
    query = select(LifecycleEvent).order_by(LifecycleEvent.at, LifecycleEvent.id)
    if metric is not None:
        query = query.where(LifecycleEvent.metric == metric)
    return list(s.scalars(query))
