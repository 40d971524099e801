"""KPIs: the scorecard's rows, one KPI with its chart, evaluations, targets, reviews, lifecycle, notes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from onpace.api.deps import ProjectDep, StoreDep, UserDep, WorkspaceDep, allowed
from onpace.api.routes.notes import Notes
from onpace.catalog import models as m
from onpace.errors import NotFoundError, did_you_mean
from onpace.services import app_definitions, kpi_chart, lifecycle, scorecard
from onpace.services import reviews as review_service
from onpace.store import evaluations as ev
from onpace.store.targets import list_target_history

router = APIRouter(prefix="/kpis", tags=["kpis"])
SegmentQ = Annotated[
    str, Query(max_length=m.MAX_SEGMENT, description="a segment value of a KPI with segment_by; '' the whole")
]


def _kpi(project: Any, name: str) -> Any:
    kpi = project.kpis.get(name)
    if kpi is None:
        suggestion = did_you_mean(name, project.kpis)
        raise NotFoundError(f"no KPI named '{name}'" + (f"; did you mean '{suggestion}'?" if suggestion else ""))
    return kpi


@router.get("")
def list_kpis(
    project: ProjectDep,
    store: StoreDep,
    objective: Annotated[str | None, Query(max_length=128)] = None,
    owner: Annotated[str | None, Query(max_length=m.MAX_NAME_TEXT)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> list[dict[str, Any]]:
    """Every KPI's latest evaluation (one row per segment for KPIs with per-segment targets)."""
    rows = [scorecard.jsonable(r) for r in scorecard.kpi_rows(project, store)]
    return [
        r
        for r in rows
        if (objective is None or r["objective"] == objective)
        and (owner is None or r["owner"] == owner)
        and (status is None or r["status"] == status)
    ]


class KpiBody(BaseModel):
    """A KPI's definition, with the keys of the YAML (docs/definitions.md)."""

    model_config = {"extra": "allow"}
    name: str = Field(min_length=1, max_length=128)


@router.post(
    "",
    status_code=201,
    responses={409: {"description": "the name is taken"}},
    dependencies=[allowed("manage_goals")],
)
def create_kpi(body: KpiBody, project: ProjectDep, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Create a KPI (kept in models/app.yml); strategists and admins."""
    user.require("manage_goals")
    reloaded = app_definitions.save(project, store, "kpi", body.model_dump(), actor=user.name, create=True)
    return _definition(reloaded.kpis[body.name])


@router.get("/{name}")
def get_kpi(name: str, project: ProjectDep, store: StoreDep) -> dict[str, Any]:
    """One KPI: its definition, latest evaluations (per segment), drivers and where it is defined."""
    kpi = _kpi(project, name)
    rows = [scorecard.jsonable(r) for r in scorecard.kpi_rows(project, store) if r["kpi"] == name]
    return {
        **_definition(kpi),
        "evaluations": rows,
        "managed_by": "app" if app_definitions.managed_by_app(project, "kpi", name) else "code",
    }


def _definition(kpi: Any) -> dict[str, Any]:
    return {
        "name": kpi.name,
        "file": kpi._file,
        "definition": kpi.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True),
    }


@router.put(
    "/{name}",
    responses={409: {"description": "defined in YAML: change the file and run onpace apply"}},
    dependencies=[allowed("manage_goals")],
)
def update_kpi(name: str, body: KpiBody, project: ProjectDep, store: StoreDep, user: UserDep) -> dict[str, Any]:
    user.require("manage_goals")
    definition = {**body.model_dump(), "name": name}
    reloaded = app_definitions.save(project, store, "kpi", definition, actor=user.name, create=False)
    return _definition(reloaded.kpis[name])


@router.delete(
    "/{name}",
    status_code=204,
    responses={409: {"description": "defined in YAML"}},
    dependencies=[allowed("manage_goals")],
)
def delete_kpi(name: str, project: ProjectDep, store: StoreDep, user: UserDep) -> None:
    user.require("manage_goals")
    app_definitions.delete(project, store, "kpi", name, actor=user.name)


@router.get("/{name}/chart")
def chart(name: str, project: ProjectDep, store: StoreDep, segment: SegmentQ = "") -> dict[str, Any]:
    """The current period day by day: actual, phased target path and forecast cone."""
    _kpi(project, name)
    return kpi_chart.chart(project, store, name, segment)


@router.get("/{name}/evaluations")
def evaluations(
    name: str,
    project: ProjectDep,
    store: StoreDep,
    segment: SegmentQ = "",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[dict[str, Any]]:
    """The KPI's evaluations over time, oldest first (the newest ``limit``)."""
    _kpi(project, name)
    with store.session(readonly=True) as s:
        rows = ev.evaluation_history(s, name, segment, limit=limit)
        return [_evaluation(e) for e in rows]


def _evaluation(e: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in [
        "as_of",
        "period_start",
        "period_end",
        "target",
        "target_low",
        "target_high",
        "actual",
        "expected_to_date",
        "attainment",
        "forecast",
        "forecast_low",
        "forecast_high",
        "probability",
        "status",
        "evaluated_at",
        "run_id",
    ]:
        value = getattr(e, key)
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
        if key == "target_high":  # a change target in words and why it has no number, stored in the details
            out["target_basis"] = (e.details or {}).get("target_basis")
            out["target_unavailable"] = (e.details or {}).get("target_unavailable")
        if key == "expected_to_date":  # a `between` target's band phased to date, stored in the details
            out["expected_low"] = (e.details or {}).get("expected_low")
            out["expected_high"] = (e.details or {}).get("expected_high")
    return out


@router.get("/{name}/periods")
def periods(name: str, project: ProjectDep, store: StoreDep, segment: SegmentQ = "") -> list[dict[str, Any]]:
    """Past periods: the last evaluation of each period that is over (achieved or missed), newest first."""
    _kpi(project, name)
    with store.session(readonly=True) as s:
        rows = ev.evaluation_history(s, name, segment)
    last: dict[Any, Any] = {}
    for e in rows:
        last[e.period_start] = e
    done = [e for e in last.values() if e.status in ("achieved", "missed")]
    return [_evaluation(e) for e in sorted(done, key=lambda e: e.period_start, reverse=True)]


@router.get("/{name}/targets")
def target_history(name: str, project: ProjectDep, store: StoreDep) -> list[dict[str, Any]]:
    """Every change of the KPI's targets: when, by whom, from what to what."""
    _kpi(project, name)
    with store.session(readonly=True) as s:
        return [
            {
                "changed_at": t.changed_at.isoformat(),
                "changed_by": t.changed_by,
                "source": t.source,
                "old": t.old,
                "new": t.new,
            }
            for t in list_target_history(s, name)
        ]


class Targets(BaseModel):
    targets: list[dict[str, Any]] = Field(min_length=1, max_length=500)


@router.put(
    "/{name}/targets",
    responses={409: {"description": "defined in YAML"}},
    dependencies=[allowed("manage_goals")],
)
def set_targets(name: str, body: Targets, project: ProjectDep, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Replace the KPI's targets: one, or a schedule (``from`` dates, ``segment`` values)."""
    user.require("manage_goals")
    reloaded = app_definitions.set_targets(project, store, name, body.targets, actor=user.name)
    return _definition(reloaded.kpis[name])


class NewReview(BaseModel):
    assessment: str = Field(description="on_track, at_risk, off_track, achieved or missed")
    commentary: str = Field(min_length=1, max_length=20_000)
    actions: list[str] = Field(default_factory=list, max_length=50)
    segment: str | None = Field(default=None, max_length=m.MAX_SEGMENT)


@router.get("/{name}/reviews")
def list_reviews(name: str, project: ProjectDep, store: StoreDep) -> list[dict[str, Any]]:
    _kpi(project, name)
    return [review_service.review_dict(r) for r in review_service.history(project, store, name)]


@router.post("/{name}/reviews", status_code=201, dependencies=[allowed("review")])
def add_review(name: str, body: NewReview, project: ProjectDep, store: StoreDep, user: UserDep) -> dict[str, Any]:
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
    return review_service.review_dict(review)


class Demotion(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/{name}/demote", dependencies=[allowed("promote")])
def demote(name: str, body: Demotion, ws: WorkspaceDep, user: UserDep) -> dict[str, Any]:
    """Turn the KPI back into a metric (its block is removed from its file), recorded with who and why."""
    user.require("promote")
    change = lifecycle.demote(ws.project(), ws.store, name, actor=user.name, reason=body.reason)
    return {"kpi": change.name, "file": change.file.relative_to(ws.root).as_posix()}


Notes("kpi").add_routes(router)
