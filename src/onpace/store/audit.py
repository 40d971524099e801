"""The audit log: who changed what, and when.

SQLAlchemy and the models are imported by the functions: the services that write to the log
import this module, and their reads (``onpace reviews``) do without SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from onpace.store.plain import plain_object

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from onpace.store.models import AuditEntry


def audit(
    s: Session,
    actor: str,
    action: str,
    object_kind: str,
    object_name: str,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Record that ``actor`` did ``action`` (e.g. "apply", "update") to an object; returns the id."""
    from onpace.store.coltypes import utcnow
    from onpace.store.models import AuditEntry

    row = AuditEntry(
        at=utcnow(),
        actor=actor,
        action=action,
        object_kind=object_kind,
        object_name=object_name,
        details=plain_object(details, "audit details"),
    )
    s.add(row)
    s.flush()
    return row.id


def list_audit(
    s: Session,
    limit: int = 100,
    *,
    actor: str | None = None,
    action: str | None = None,
    object_kind: str | None = None,
    object_name: str | None = None,
    since: datetime | None = None,
) -> list[AuditEntry]:
    """The newest ``limit`` entries, newest first, optionally of one actor, action or object."""
    from sqlalchemy import select

    from onpace.store.models import AuditEntry

    query = select(AuditEntry)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if object_kind is not None:
        query = query.where(AuditEntry.object_kind == object_kind)
    if object_name is not None:
        query = query.where(AuditEntry.object_name == object_name)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(s.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
