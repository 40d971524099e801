"""The Alerts page: every rule with its state and series, the transition history, mutes, a test run,
and the rules made in the app (kept as code in models/app.yml)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from onpace.catalog.channels import example_recipient
from onpace.catalog.project import Project
from onpace.errors import UserError
from onpace.services import alerts, app_definitions
from onpace.services.alert_mute import mute_end
from onpace.services.auth import Action, CurrentUser
from onpace.services.views.names import Names
from onpace.services.workspace import Workspace
from onpace.web.deps import UserDep, WorkspaceDep, allowed
from onpace.web.render import page, redirect

router = APIRouter(prefix="/alerts")

MUTE: Action = "mute"  # an editor's, as annotating; named in a refusal (a viewer was told 'may not annotate')
DEFINE: Action = "manage_goals"  # rules are definitions, as objectives and KPIs are
HISTORY = 200
MUTE_FOR = ("1 hour", "4 hours", "1 day", "3 days", "1 week")
EXAMPLE = """name: {rule}
label: {label}
kind: status
kpi: {kpi}
to: at_risk
recipients: [{recipient}]
for: 2
"""


def example(project: Project) -> str:
    """The new rule's example, on this project's first KPI and to a recipient it can reach (the fixed one
    named a KPI and the owner, by email: in the demo, whose one channel is a folder, it did not save)."""
    kpi = next(iter(project.kpis.values()), None)
    name = kpi.name if kpi is not None else "quarterly_revenue"
    label = (kpi.label or kpi.name) if kpi is not None else "Quarterly revenue"
    rule = f"{name[:57]}_slips"  # a rule's name is at most 63 characters
    return EXAMPLE.format(
        rule=rule,
        kpi=name,
        label=json.dumps(f"{label} slips", ensure_ascii=False),
        recipient=example_recipient(project.config.channels),
    )


IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _page(
    request: Request, ws: Workspace, user: CurrentUser, rule: str = "", *, status_code: int = 200, **context: Any
) -> Response:
    """The Alerts page (``rule``: the history of that rule only), with ``context`` (a notice, a test run)."""
    project = ws.project()
    rules = alerts.list_rules(project, ws.store)
    return page(
        request,
        "alerts.html",
        status_code=status_code,
        rules=rules,
        history=alerts.history(project, ws.store, rule=rule or None, limit=HISTORY),  # 404: a rule it lacks
        history_rule=rule,
        names=Names.of(project),
        known_rules=set(project.alerts),  # a removed rule's transitions stay in the history, unlinked
        mute_for=MUTE_FOR,
        example=example(project),
        can_mute=user.can(MUTE),
        can_define=user.can(DEFINE),
        written={r.name: app_definitions.written(project, "alert", r.name) for r in rules if r.managed_by_app},
        **context,
    )


@router.get("")
def alerts_page(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    rule: Annotated[str, Query(max_length=128, description="the history of this rule only")] = "",
) -> Response:
    return _page(request, ws, user, rule)


@router.post("/{name}/mute", dependencies=[allowed(MUTE)])
def mute(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    why: Annotated[str, Form(max_length=2000)],
    lasting: Annotated[str, Form(alias="for", max_length=32)] = "",
    until: Annotated[str, Form(max_length=32, description="a time in UTC (the form's datetime-local)")] = "",
    series: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Mute the rule (or one series) for a while or until a time (UTC), saying why; as the logged-in user."""
    user.require(MUTE)
    if not why.strip():
        raise UserError("why: say why the rule is muted")
    end = mute_end(until=_time(until), lasting=None if until.strip() else lasting)
    made = alerts.mute(ws.project(), ws.store, name, until=end, by=user.name, why=why.strip(), series=series or None)
    notice = (
        f"'{made.rule}'{' (' + made.series + ')' if made.series else ''} is muted until {made.until:%Y-%m-%d %H:%M} UTC"
    )
    return _page(request, ws, user, notice=notice)


def _time(text: str) -> dt.datetime | None:
    if not text.strip():
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"until: '{text.strip()}' is not a time (YYYY-MM-DDTHH:MM, UTC)") from None


@router.post("/mutes/{mute_id}/end", dependencies=[allowed(MUTE)])
def unmute(request: Request, mute_id: IdPath, ws: WorkspaceDep, user: UserDep) -> Response:
    user.require(MUTE)
    said = alerts.unmute(ws.project(), ws.store, mute_id, by=user.name)
    return _page(request, ws, user, notice="the mute is over" if said.startswith("Ended") else said)


@router.post("/{name}/test", dependencies=[allowed("read")])
def test_now(
    request: Request, name: str, ws: WorkspaceDep, user: UserDep, send: Annotated[bool, Form()] = False
) -> Response:
    """What the rule would say now (nothing recorded); ``send``: also a test message (editors)."""
    if send:
        user.require("send_test_messages")
    found = alerts.test_rule(ws.project(), ws.store, name, send=send)
    return _page(request, ws, user, tested=name, tested_series=found, sent=send)


@router.post("", dependencies=[allowed(DEFINE)])
def create(
    request: Request, ws: WorkspaceDep, user: UserDep, definition: Annotated[str, Form(max_length=20_000)]
) -> Response:
    """A new rule from its YAML, kept in models/app.yml (checked by loading the whole project first)."""
    user.require(DEFINE)
    try:
        app_definitions.save_text(ws.project(), ws.store, "alert", definition, actor=user.name)
    except UserError as exc:  # shown above the form, which keeps what was typed
        return _page(request, ws, user, status_code=exc.status, draft=definition, draft_error=exc.public_message)
    return redirect(request, "/alerts")


@router.post("/{name}/edit", dependencies=[allowed(DEFINE)])
def update(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    definition: Annotated[str, Form(max_length=20_000)],
) -> Response:
    user.require(DEFINE)
    try:
        app_definitions.save_text(ws.project(), ws.store, "alert", definition, actor=user.name, name=name)
    except UserError as exc:
        return _page(
            request, ws, user, status_code=exc.status, edited=name, draft=definition, draft_error=exc.public_message
        )
    return redirect(request, f"/alerts#rule-{name}")


@router.post("/{name}/delete", dependencies=[allowed(DEFINE)])
def delete(request: Request, name: str, ws: WorkspaceDep, user: UserDep) -> Response:
    user.require(DEFINE)
    app_definitions.delete(ws.project(), ws.store, "alert", name, actor=user.name)
    return redirect(request, "/alerts")
