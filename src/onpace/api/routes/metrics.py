"""Metrics: the catalog, values over time, breakdowns, pushed values, comments and annotations."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from onpace.api.deps import ProjectDep, StoreDep, UserDep, WorkspaceDep, allowed, errors
from onpace.api.routes.notes import Notes
from onpace.catalog import models as m
from onpace.errors import PermissionDeniedError, UserError
from onpace.services import explore, writes
from onpace.services import values as values_service
from onpace.services.auth import CurrentUser
from onpace.services.filters import CatalogFilter
from onpace.services.params import Day
from onpace.services.values_csv import FORM_NAMES
from onpace.services.views.metrics import (
    Breakdown,
    GeneratedSql,
    LifecycleChange,
    MetricDetail,
    MetricSummary,
    SeriesValues,
    ValuesWritten,
)

router = APIRouter(prefix="/metrics", tags=["metrics"])
MAX_UPLOAD_BYTES = 10 << 20

GrainQ = Annotated[m.Grain | None, Query(description="day, week, month, quarter, year, fiscal_quarter, fiscal_year")]
DateQ = Annotated[Day | None, Query(description="YYYY-MM-DD, inclusive (1900-01-01 to 2199-12-31)")]
WhereQ = Annotated[
    str | None, Query(max_length=500, description="a filter in the expression language, e.g. region = 'EUROPE'")
]


@router.get("")
def list_metrics(project: ProjectDep, filters: Annotated[CatalogFilter, Query()]) -> list[MetricSummary]:
    """The metric catalog, filtered."""
    return explore.catalog(project, filters)


@router.get("/{name}")
def get_metric(name: str, project: ProjectDep) -> MetricDetail:
    """One metric: its summary, its definition as written, and the dimensions it can be broken down by."""
    return explore.metric_detail(project, name)


@router.get("/{name}/sql")
def get_sql(
    name: str,
    ws: WorkspaceDep,
    user: Annotated[CurrentUser, allowed("read_generated_sql")],
    grain: GrainQ = None,
    by: Annotated[str | None, Query(max_length=128)] = None,
) -> GeneratedSql:
    """The SQL the engine runs for the metric (editors and above)."""
    project = ws.project()
    explore.get_metric(project, name)
    with ws.engine() as engine:
        return explore.generated_sql(project, engine, name, grain=grain, by=by)


@router.get("/{name}/observations")
def observations(
    name: str,
    ws: WorkspaceDep,
    grain: GrainQ = None,
    start: DateQ = None,
    end: DateQ = None,
    by: Annotated[
        str | None, Query(max_length=128, description="a dimension: one row per value over the range")
    ] = None,
    where: WhereQ = None,
) -> SeriesValues | Breakdown:
    """The metric by period (from the store when refresh keeps it), or by a dimension's values with ``by``.

    By period, ``partial_periods`` lists the periods the range cuts: their values are those of
    their days inside [start, end] (and a last period the data stops inside, without ``end``).
    """
    project = ws.project()
    explore.get_metric(project, name)
    with ws.engine() as engine:
        return explore.metric_values(
            project, ws.store, engine, name, grain=grain, start=start, end=end, by=by, where=where
        )


class PushedValue(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key ("vaule") is named, not dropped

    period: dt.date = Field(description="the first day of the period of the metric's grain (2026-10-01 for 2026-Q4)")
    # a number: true or "12" are refused (true was stored as 1.0), and so are NaN and infinities; null
    # too, as the schema says (the schema offered it, the row check then refused it as empty)
    value: float = Field(strict=True, allow_inf_nan=False)
    segment: str = Field(default="", max_length=m.MAX_SEGMENT)


class Push(BaseModel):
    observations: list[PushedValue] = Field(min_length=1, max_length=100_000)


def _may_enter(user: CurrentUser, project: Any, metrics: set[str]) -> None:
    user.require("enter_values")
    if user.role != "editor" or user.department is None:
        return
    for name in sorted(metrics):
        metric = project.metrics.get(name)
        department = getattr(metric, "department", None)
        if metric is not None and department is not None and department != user.department:
            raise PermissionDeniedError(
                f"metric '{name}' belongs to the department '{department}'; editors enter values of their own "
                f"('{user.department}')"
            )


@router.post(
    "/{name}/observations",
    responses=errors({422: "the rows with problems, each with its line"}),
    dependencies=[allowed("enter_values", bulk=True)],
)
def push_observations(name: str, body: Push, project: ProjectDep, store: StoreDep, user: UserDep) -> ValuesWritten:
    """Values a system sends for a metric entered by hand; idempotent by period and segment; all or nothing."""
    explore.get_metric(project, name)
    _may_enter(user, project, {name})
    rows = [
        {
            "metric": name,
            "period": v.period.isoformat(),
            "value": v.value,
            "segment": v.segment,
        }
        for v in body.observations
    ]
    parsed = values_service.parse_values(project, rows, "request body")
    result = values_service.import_values(project, store, parsed, user.name, f"POST /api/metrics/{name}/observations")
    return writes.values_written(result)


router_values = APIRouter(prefix="/values", tags=["metrics"])
_DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}


@router_values.post(
    "/import",
    responses=errors({422: "every bad row, with its line; nothing written"}),
    dependencies=[allowed("enter_values", bulk=True)],
)
async def import_csv(
    project: ProjectDep,
    store: StoreDep,
    user: UserDep,
    file: Annotated[UploadFile, File()],
    decimal: Annotated[
        Literal["point", "comma"] | None,
        Form(description="the values' decimal mark (found in the values when not given)"),
    ] = None,
    delimiter: Annotated[
        Literal["comma", "semicolon", "tab"] | None,
        Form(description="what separates the cells (found from the header row when not given)"),
    ] = None,
) -> ValuesWritten:
    """A CSV of values (metric, period, value[, segment]): checked row by row like ``onpace values import``
    (its ``--decimal`` and ``--delimiter`` are the form fields ``decimal`` and ``delimiter``)."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError(f"the file is larger than {MAX_UPLOAD_BYTES >> 20} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{file.filename or 'the file'} is not UTF-8 text (byte {exc.start})") from None
    source = file.filename or "upload.csv"
    parsed = await run_in_threadpool(
        partial(
            values_service.parse_values,
            separator=None if delimiter is None else _DELIMITERS[delimiter],
            decimal=decimal,
            names=FORM_NAMES,
        ),
        project,
        text,
        source,
    )
    _may_enter(user, project, {row.metric for row in parsed})
    result = await run_in_threadpool(values_service.import_values, project, store, parsed, user.name, source)
    return writes.values_written(result)


class Promotion(BaseModel):
    """The KPI a metric becomes: what it needs besides the metric (a target, a timeframe, an objective, an owner)."""

    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    objective: str = Field(min_length=1, max_length=128)
    owner: str = Field(min_length=1, max_length=128)
    timeframe: str = Field(min_length=1, max_length=32, description="month, quarter, year, … or one period: 2026-Q3")
    target: dict[str, Any] = Field(description="at_least, at_most, between [low, high] or change with vs")
    review_cadence: str = "monthly"
    name: str | None = Field(default=None, max_length=128)
    priority: int = Field(default=3, ge=1, le=99)
    reason: str = Field(default="", max_length=2000)


@router.post("/{name}/promote", status_code=201, dependencies=[allowed("promote")])
def promote(name: str, body: Promotion, ws: WorkspaceDep, user: UserDep) -> LifecycleChange:
    """Make the metric a KPI (written to models/promoted.yml), recorded with who, when and why."""
    from onpace.services.lifecycle import promote as run_promote

    user.require("promote")
    definition = body.model_dump(exclude={"reason"})
    change = run_promote(ws.project(), ws.store, name, definition, actor=user.name, reason=body.reason)
    return writes.lifecycle_change(change, ws.root)


Notes("metric").add_routes(router)
