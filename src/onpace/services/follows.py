"""Following a KPI: it shows on the user's My KPIs page and they hear its alerts.

Any logged-in user may follow any KPI (reading is all it takes). A follower is told of a KPI's
alerts by email: their login maps to a person (``people:`` in onpace.yml or a model file, or made
in the web app: the entry whose ``user`` is their login, or the entry of that name), whose email
the project's email channel reaches. A follower without an email is skipped, and counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from onpace.catalog.project import Project
from onpace.services.lookup import get_kpi
from onpace.services.views.my import FollowView
from onpace.store import follows as stored
from onpace.store.db import Store

log = logging.getLogger("onpace.follows")


def follow(project: Project, store: Store, username: str, kpi: str) -> FollowView:
    """``username`` follows ``kpi`` (again: nothing changes)."""
    get_kpi(project, kpi)
    with store.session() as s:
        stored.follow(s, username, kpi)
    return FollowView(kpi=kpi, following=True)


def unfollow(project: Project, store: Store, username: str, kpi: str) -> FollowView:
    """``username`` stops following ``kpi`` (not followed: nothing changes). A KPI the project no longer
    has can still be unfollowed; a name that is neither a KPI nor followed is a 404."""
    with store.session() as s:
        done = stored.unfollow(s, username, kpi)
    if not done:
        get_kpi(project, kpi)
    return FollowView(kpi=kpi, following=False)


def is_following(store: Store, username: str, kpi: str) -> bool:
    with store.session(readonly=True) as s:
        return stored.is_following(s, username, kpi)


def followed_by(store: Store, username: str) -> list[str]:
    """The KPIs ``username`` follows (also those the project no longer has)."""
    with store.session(readonly=True) as s:
        return stored.followed_by(s, username)


@dataclass
class FollowerTargets:
    """Where a KPI's followers are told: (email channel, address) pairs, and who could not be."""

    targets: list[tuple[str, str | None]] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


def follower_targets(s: Session, project: Project, kpi: str) -> FollowerTargets:
    """The addresses of the followers of ``kpi``, read in the caller's session (the alert's transaction)."""
    from onpace.services.delivery import resolve_recipients

    found = FollowerTargets()
    for username in stored.followers(s, kpi):
        try:
            targets = resolve_recipients(project, [f"user:{username}"], kpi_owner=None)
        except ValueError:
            found.unreachable.append(username)
            continue
        found.targets += [t for t in targets if t not in found.targets]
    if found.unreachable:
        log.info(
            "%d follower(s) of KPI %s have no email: not told (%s)",
            len(found.unreachable),
            kpi,
            ", ".join(found.unreachable),
        )
    return found
