"""Reports over the API: list, runs, send, and the reports made in the app (kept in models/app.yml).

The PDF pack and the CSV are downloads of the web app (``/reports/NAME.pdf``, ``/reports/NAME.csv``):
every API answer is typed JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from onpace.api.deps import ProjectDep, StoreDep, UserDep, WorkspaceDep, allowed, errors
from onpace.catalog.channels import EMAIL
from onpace.catalog.reports import Report
from onpace.services import app_definitions, report_delivery, report_render
from onpace.services.auth import Action
from onpace.services.params import Day
from onpace.services.views.reports import ReportRunView, ReportView

router = APIRouter(prefix="/reports", tags=["reports"])

# Sending a report now does by hand what the scheduler does on its tick, as POST /api/runs starts a
# refresh: a strategist's (leadership's) act. The Reports page's "Send now" asks the same.
SEND: Action = "refresh"
AsOfQ = Annotated[
    str | None,
    Query(max_length=32, description="YYYY-MM-DD: the report as of that date (none: the latest evaluation)"),
]
UNKNOWN = {404: "no report of that name (the message suggests the closest)"}
AS_OF = {400: "as_of is not a date (YYYY-MM-DD) or is outside the dates onpace supports"}
DEFINE: Action = "manage_goals"  # reports are definitions, as objectives, KPIs and alert rules are
IN_YAML = {404: "no report of that name", 409: "the report is defined in a file managed as code"}


class SendBody(BaseModel):
    """Send a report now: to its recipients, or to one email address; as of a date (default: the latest)."""

    model_config = ConfigDict(extra="forbid")
    to: str | None = Field(
        default=None, max_length=320, description="only this email address (through the project's email channel)"
    )
    as_of: Day | None = Field(default=None, description="the date the report shows the KPIs as of")

    @field_validator("to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not EMAIL.match(value.strip()):
            raise ValueError("not an email address; expected name@example.com")
        return value.strip()


@router.get("", dependencies=[allowed("read")])
def list_reports(project: ProjectDep, store: StoreDep) -> list[ReportView]:
    """Every report: audience, schedule (in words, and its next send), recipients, formats, and its last runs."""
    return report_delivery.list_reports(project, store)


@router.get("/{name}/runs", responses=errors(UNKNOWN), dependencies=[allowed("read")])
def list_runs(
    name: str, project: ProjectDep, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> list[ReportRunView]:
    """The report's runs, newest first: as-of date, status, messages queued, pages, error."""
    return report_delivery.list_runs(project, store, name, limit)


@router.post(
    "/{name}/send",
    status_code=202,
    responses=errors(
        {**UNKNOWN, 400: "to is given and the project has no email channel", 422: "to is not an email address"}
    ),
    dependencies=[allowed(SEND)],
)
def send(name: str, body: SendBody, ws: WorkspaceDep, user: UserDep) -> ReportRunView:
    """Render the report and queue it to its recipients (or to ``to``) now, as the logged-in user; the
    scheduler's delivery sends the messages. The run is in the answer: ``failed`` with the reason when the
    report could not be rendered or reaches nobody."""
    user.require(SEND)
    project = ws.project()
    report_render.get_report(project, name)
    with ws.engine() as engine:
        return report_delivery.send_report(
            project, ws.store, engine, name, as_of=body.as_of, to=body.to, requested_by=user.name
        )


@router.post("", status_code=201, responses=errors({409: "the name is taken"}), dependencies=[allowed(DEFINE)])
def create(body: Report, project: ProjectDep, store: StoreDep, user: UserDep) -> ReportView:
    """Create a report (kept in models/app.yml, checked with the whole project first); strategists and admins."""
    user.require(DEFINE)
    reloaded = app_definitions.save(project, store, "report", _definition(body), actor=user.name, create=True)
    return report_delivery.report_view(reloaded, store, body.name)


@router.put("/{name}", responses=errors(IN_YAML), dependencies=[allowed(DEFINE)])
def update(name: str, body: Report, project: ProjectDep, store: StoreDep, user: UserDep) -> ReportView:
    """Replace a report made in the app; one defined in another file is refused (409)."""
    user.require(DEFINE)
    reloaded = app_definitions.replace(project, store, "report", name, _definition(body), actor=user.name)
    return report_delivery.report_view(reloaded, store, name)


@router.delete("/{name}", status_code=204, responses=errors(IN_YAML), dependencies=[allowed(DEFINE)])
def delete(name: str, project: ProjectDep, store: StoreDep, user: UserDep) -> None:
    user.require(DEFINE)
    app_definitions.delete(project, store, "report", name, actor=user.name)


def _definition(body: Report) -> dict[str, Any]:
    """The report as its YAML holds it: only what was given."""
    return body.model_dump(mode="json", exclude_unset=True)
