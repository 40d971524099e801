"""The My KPIs page: the KPIs a user owns or follows, their reviews due and alerts; following a KPI."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from onpace.services import follows, lookup, my_kpis
from onpace.services.auth import Action
from onpace.services.views.names import Names
from onpace.web.deps import UserDep, WorkspaceDep, allowed
from onpace.web.render import page, redirect

router = APIRouter(prefix="/my")

FOLLOW: Action = "read"  # any logged-in user may follow a KPI, as over the API (api/routes/my.py)
KpiPath = Annotated[str, Path(min_length=1, max_length=128)]


@router.get("", dependencies=[allowed("read")])
def my_page(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    project = ws.project()
    view = my_kpis.my_kpis(project, ws.store, user.name)
    return page(request, "my.html", view=view, names=Names.of(project))


@router.get("/follow/{kpi}", dependencies=[allowed("read")])
def follow_button(request: Request, kpi: KpiPath, ws: WorkspaceDep, user: UserDep) -> Response:
    """The Follow (or Unfollow) button of a KPI, as the KPI page loads it (``_follow.html``)."""
    lookup.get_kpi(ws.project(), kpi)  # 404 with a 'did you mean' before anything is written
    following = follows.is_following(ws.store, user.name, kpi)
    return page(request, "_my_follow.html", name=kpi, following=following, back="kpi")


@router.post("/follow/{kpi}", dependencies=[allowed(FOLLOW)])
def follow(
    request: Request,
    kpi: KpiPath,
    ws: WorkspaceDep,
    user: UserDep,
    want: Annotated[Literal["follow", "unfollow"], Form()] = "follow",
    back: Annotated[Literal["kpi", "my"], Form()] = "kpi",
) -> Response:
    """Follow or unfollow ``kpi``; from HTMX the button again, from a plain form back to the page."""
    project = ws.project()
    if want == "follow":
        done = follows.follow(project, ws.store, user.name, kpi)
    else:
        done = follows.unfollow(project, ws.store, user.name, kpi)
    if back == "my":
        return redirect(request, "/my")
    if request.headers.get("hx-request"):
        return page(request, "_my_follow.html", name=kpi, following=done.following, back=back)
    return redirect(request, f"/kpis/{quote(done.kpi)}")
