"""The signed-in user's KPIs (owned or followed) and following a KPI over the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from onpace.api.deps import ProjectDep, StoreDep, UserDep, allowed, errors
from onpace.services import follows, my_kpis
from onpace.services.auth import Action
from onpace.services.views.my import FollowView, MyKpis

router = APIRouter(tags=["my"])

FOLLOW: Action = "read"  # any logged-in user may follow a KPI: it changes only what they are told
KpiPath = Annotated[str, Path(min_length=1, max_length=128, description="a KPI's name")]
UNKNOWN = errors({404: "no KPI of that name (with the closest name)"})


@router.get("/my/kpis", dependencies=[allowed("read")])
def my_kpi_list(project: ProjectDep, store: StoreDep, user: UserDep) -> MyKpis:
    """The KPIs the caller owns (as the person their login maps to in ``people:``) or follows, each with
    its latest evaluations, the next due day of its reviews and its alerts; the reviews due by today."""
    return my_kpis.my_kpis(project, store, user.name)


@router.put("/kpis/{name}/follow", responses=UNKNOWN, dependencies=[allowed(FOLLOW)])
def follow(name: KpiPath, project: ProjectDep, store: StoreDep, user: UserDep) -> FollowView:
    """Follow a KPI: it is on the caller's My KPIs and they hear its alerts (again: nothing changes)."""
    return follows.follow(project, store, user.name, name)


@router.delete("/kpis/{name}/follow", responses=UNKNOWN, dependencies=[allowed(FOLLOW)])
def unfollow(name: KpiPath, project: ProjectDep, store: StoreDep, user: UserDep) -> FollowView:
    """Stop following a KPI (not followed: nothing changes)."""
    return follows.unfollow(project, store, user.name, name)
