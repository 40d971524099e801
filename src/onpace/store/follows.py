"""Who follows which KPI: a user's follows are on their My KPIs page, and they hear its alerts.

Following is idempotent: a second follow of the same KPI by the same user inserts nothing (an
``INSERT … ON CONFLICT DO NOTHING`` on the unique (username, KPI) pair, so two requests at once
never fail), and unfollowing what is not followed deletes nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from onpace.store.coltypes import utcnow
from onpace.store.models import Follow, User
from onpace.store.upsert import insert


def follow(s: Session, username: str, kpi: str) -> bool:
    """``username`` follows ``kpi``; True when they did not before."""
    table = Follow.__table__
    stmt = insert(s, table)  # type: ignore[arg-type]  # __table__ is typed as a FromClause
    stmt = stmt.values(username=username, kpi=kpi, created_at=utcnow())
    stmt = stmt.on_conflict_do_nothing(index_elements=["username", "kpi"])
    return s.execute(stmt.returning(table.c.id)).first() is not None


def unfollow(s: Session, username: str, kpi: str) -> bool:
    """``username`` no longer follows ``kpi``; True when they did."""
    done = s.execute(delete(Follow).where(Follow.username == username, Follow.kpi == kpi))
    return bool(done.rowcount)  # type: ignore[attr-defined]  # a CursorResult


def followed_by(s: Session, username: str) -> list[str]:
    """The KPIs ``username`` follows, by name."""
    return list(s.scalars(select(Follow.kpi).where(Follow.username == username).order_by(Follow.kpi)))


def followers(s: Session, kpi: str) -> list[str]:
    """The users who follow ``kpi``, by name: those with an enabled login only (a disabled user, someone
    who left, hears nothing more; their follows come back if they are enabled again)."""
    query = (
        select(Follow.username)
        .join(User, User.name == Follow.username)
        .where(Follow.kpi == kpi, User.disabled.is_(False))
        .order_by(Follow.username)
    )
    return list(s.scalars(query))


def is_following(s: Session, username: str, kpi: str) -> bool:
    found = s.scalars(select(Follow.id).where(Follow.username == username, Follow.kpi == kpi)).first()
    return found is not None
