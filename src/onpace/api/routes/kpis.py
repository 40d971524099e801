"""KPIs: the scorecard's rows, one KPI with its chart, evaluations, targets, reviews, lifecycle, notes."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from onpace.api.deps import ProjectDep, StoreDep, UserDep, WorkspaceDep, allowed, errors
from onpace.api.routes.notes import Notes
from onpace.catalog import models as m
from onpace.errors import ConflictError
from onpace.services import app_definitions, evaluate, feedback, kpi_history, kpi_page, lifecycle, scorecard, writes
from onpace.services import reviews as review_service
from onpace.services import what_changed as change_service
from onpace.services.auth import CurrentUser
from onpace.services.evaluate import parse_as_of
from onpace.services.filters import ScorecardFilter
from onpace.services.views.evaluations import Evaluation, TargetChange
from onpace.services.views.kpis import KpiChart, KpiDefinition, KpiDetail, KpiPage
from onpace.services.views.metrics import LifecycleChange
from onpace.services.views.notes import ReviewView
from onpace.services.views.scorecard import ScorecardRow
from onpace.services.views.what_changed import WhatChanged
from onpace.services.workspace import Workspace

log = logging.getLogger(__name__)
router = APIRouter(prefix="/kpis", tags=["kpis"])
SegmentQ = Annotated[
    str, Query(max_length=m.MAX_SEGMENT, description="a segment value of a KPI with segment_by; '' the whole")
]
IN_YAML = {409: "defined in YAML: change the file and run onpace apply"}
AsOfQ = Annotated[
    str | None,
    Query(
        max_length=32,
        description="YYYY-MM-DD: as it was on that date, with the data up to it only (400 when not a date "
        "or outside 1900-01-01..2199-12-31)",
    ),
]
AS_OF = {400: "as_of is not a date (YYYY-MM-DD) or is outside the dates onpace supports"}


@router.get("", responses=errors(AS_OF))
def list_kpis(
    project: ProjectDep, store: StoreDep, filters: Annotated[ScorecardFilter, Query()], as_of: AsOfQ = None
) -> list[ScorecardRow]:
    """Every KPI's latest evaluation (one row per segment for KPIs with per-segment targets), filtered;
    with ``as_of``, every KPI as it would have been on that date."""
    day = parse_as_of(as_of)
    return filters.select(project, scorecard.kpi_rows(project, store, day))


class KpiBody(BaseModel):
    """A KPI's definition, with the keys of the YAML (docs/definitions.md)."""

    model_config = {"extra": "allow"}
    name: str = Field(min_length=1, max_length=128)


@router.post(
    "",
    status_code=201,
    responses=errors({409: "the name is taken"}),
    dependencies=[allowed("manage_goals")],
)
def create_kpi(body: KpiBody, ws: WorkspaceDep, user: UserDep) -> KpiDefinition:
    """Create a KPI (kept in models/app.yml); strategists and admins. It is judged at once; when its
    series are not in the store yet, a refresh of its metric starts in the background (GET /api/runs)."""
    user.require("manage_goals")
    reloaded = app_definitions.save(ws.project(), ws.store, "kpi", body.model_dump(), actor=user.name, create=True)
    _compute_its_series(ws, body.name, user)
    return kpi_page.definition(reloaded.kpis[body.name])


def _compute_its_series(ws: Workspace, name: str, user: CurrentUser) -> None:
    """A KPI made or changed here whose series no refresh has computed (its metric at a new grain or
    segment) shows no data until one does: a refresh of its metric starts now, in the background, when
    the user may start one (its run is in GET /api/runs; one already running here is left to end)."""
    metric = evaluate.unrefreshed_metric(ws.project(), ws.store, name)
    if metric is None or not user.can("refresh"):
        return
    try:
        ws.start_refresh(full=False, metrics=[metric], requested_by=user.name)
    except ConflictError:
        log.info("KPI %r: a refresh is running here already; its series come with the next one", name)


@router.get("/{name}", responses=errors(AS_OF))
def get_kpi(name: str, project: ProjectDep, store: StoreDep, as_of: AsOfQ = None) -> KpiDetail:
    """One KPI: its definition, latest evaluations (per segment; as of a date with ``as_of``), drivers and
    where it is defined."""
    day = parse_as_of(as_of)
    return kpi_page.detail(project, store, name, day)


@router.put("/{name}", responses=errors(IN_YAML), dependencies=[allowed("manage_goals")])
def update_kpi(name: str, body: KpiBody, ws: WorkspaceDep, user: UserDep) -> KpiDefinition:
    user.require("manage_goals")
    reloaded = app_definitions.replace(ws.project(), ws.store, "kpi", name, body.model_dump(), actor=user.name)
    _compute_its_series(ws, name, user)
    return kpi_page.definition(reloaded.kpis[name])


@router.delete(
    "/{name}",
    status_code=204,
    responses=errors({409: "defined in YAML"}),
    dependencies=[allowed("manage_goals")],
)
def delete_kpi(name: str, project: ProjectDep, store: StoreDep, user: UserDep) -> None:
    user.require("manage_goals")
    app_definitions.delete(project, store, "kpi", name, actor=user.name)


@router.get("/{name}/page", responses=errors(AS_OF))
def page(name: str, ws: WorkspaceDep, segment: SegmentQ = "", as_of: AsOfQ = None) -> KpiPage:
    """Everything the KPI page shows: the KPI, its latest evaluation, segments, drivers, past periods,
    target history, reviews, comments and annotations; with ``as_of``, as of that date."""
    day = parse_as_of(as_of)
    return kpi_page.page(ws, name, segment, day)


@router.get("/{name}/what-changed", responses=errors(AS_OF))
def what_changed(name: str, ws: WorkspaceDep, segment: SegmentQ = "", as_of: AsOfQ = None) -> WhatChanged:
    """What changed and why: the KPI's change on the same days of the previous period, the segments
    that contributed most and how its drivers moved, with the paragraph that says so (docs/what-changed.md)."""
    day = parse_as_of(as_of)
    return change_service.what_changed(ws, name, segment, day)


@router.get("/{name}/chart", responses=errors(AS_OF))
def chart(name: str, project: ProjectDep, store: StoreDep, segment: SegmentQ = "", as_of: AsOfQ = None) -> KpiChart:
    """The current period day by day: actual, phased target path and forecast cone (as of ``as_of``)."""
    day = parse_as_of(as_of)
    return kpi_page.chart(project, store, name, segment, day)


@router.get("/{name}/evaluations")
def evaluations(
    name: str,
    project: ProjectDep,
    store: StoreDep,
    segment: SegmentQ = "",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[Evaluation]:
    """The KPI's evaluations over time, oldest first (the newest ``limit``)."""
    kpi_page.get_kpi(project, name)
    return kpi_history.evaluations(store, name, scorecard.segment_key(project, name, segment), limit=limit)


@router.get("/{name}/periods", responses=errors(AS_OF))
def periods(
    name: str, project: ProjectDep, store: StoreDep, segment: SegmentQ = "", as_of: AsOfQ = None
) -> list[Evaluation]:
    """Past periods: each period that is over (by ``as_of``), achieved or missed, judged as of its last day
    with the data up to it, newest first (the history each refresh keeps)."""
    day = parse_as_of(as_of)
    kpi_page.get_kpi(project, name)
    return kpi_history.past_periods(store, name, scorecard.segment_key(project, name, segment), day)


@router.get("/{name}/targets")
def target_history(name: str, project: ProjectDep, store: StoreDep) -> list[TargetChange]:
    """Every change of the KPI's targets: when, by whom, from what to what."""
    kpi_page.get_kpi(project, name)
    return kpi_history.target_history(store, name)


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    targets: list[dict[str, Any]] = Field(min_length=1, max_length=500)


@router.put("/{name}/targets", responses=errors({409: "defined in YAML"}), dependencies=[allowed("manage_goals")])
def set_targets(name: str, body: Targets, ws: WorkspaceDep, user: UserDep) -> KpiDefinition:
    """Replace the KPI's targets: one, or a schedule (``from`` dates, ``segment`` values)."""
    user.require("manage_goals")
    reloaded = app_definitions.set_targets(ws.project(), ws.store, name, body.targets, actor=user.name)
    _compute_its_series(ws, name, user)  # a target for a new segment: its series
    return kpi_page.definition(reloaded.kpis[name])


class NewReview(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    assessment: str = Field(description="on_track, at_risk, off_track, achieved or missed")
    commentary: str = Field(min_length=1, max_length=20_000)
    actions: list[Annotated[str, Field(min_length=1, max_length=2_000)]] = Field(default_factory=list, max_length=50)
    segment: str | None = Field(default=None, max_length=m.MAX_SEGMENT)


@router.get("/{name}/reviews")
def list_reviews(name: str, project: ProjectDep, store: StoreDep) -> list[ReviewView]:
    kpi_page.get_kpi(project, name)
    return feedback.reviews(project, store, name)


@router.post("/{name}/reviews", status_code=201, dependencies=[allowed("review")])
def add_review(name: str, body: NewReview, project: ProjectDep, store: StoreDep, user: UserDep) -> ReviewView:
    """Record a review: the reviewer's assessment, commentary and actions (strategists and admins)."""
    user.require("review")
    review = review_service.record_review(
        project,
        store,
        name,
        reviewer=user.name,
        assessment=body.assessment,
        commentary=body.commentary,
        actions=body.actions,
        segment=body.segment,
    )
    return feedback.review(review)


class Demotion(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    reason: str = Field(min_length=1, max_length=2000)


@router.post("/{name}/demote", dependencies=[allowed("promote")])
def demote(name: str, body: Demotion, ws: WorkspaceDep, user: UserDep) -> LifecycleChange:
    """Turn the KPI back into a metric (its block is removed from its file), recorded with who and why."""
    user.require("promote")
    change = lifecycle.demote(ws.project(), ws.store, name, actor=user.name, reason=body.reason)
    return writes.lifecycle_change(change, ws.root)


Notes("kpi").add_routes(router)
