"""Target history: every change of a KPI's target, from YAML or through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onpace.store.coltypes import utcnow
from onpace.store.models import TargetChange, TargetSource
from onpace.store.plain import plain_json


def record_target_change(
    s: Session,
    kpi: str,
    changed_by: str,
    source: TargetSource,
    old: Any,
    new: Any,
    changed_at: datetime | None = None,
) -> int:
    """Record that ``kpi``'s target went from ``old`` (None: it had none) to ``new``; returns the id."""
    row = TargetChange(
        kpi=kpi,
        changed_at=changed_at or utcnow(),
        changed_by=changed_by,
        source=source,
        old=None if old is None else plain_json(old, "the old target"),
        new=plain_json(new, "the new target"),
    )
    s.add(row)
    s.flush()
    return row.id


def list_target_history(s: Session, kpi: str) -> list[TargetChange]:
    """The changes of ``kpi``'s target, oldest first."""
    query = select(TargetChange).where(TargetChange.kpi == kpi).order_by(TargetChange.changed_at, TargetChange.id)
    return list(s.scalars(query))
