"""Alert rules: their state, their history, mutes, a test run, and the rules made in the app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from onpace.api.deps import ProjectDep, StoreDep, UserDep, allowed, errors
from onpace.errors import QueryError, did_you_mean
from onpace.services import alerts, app_definitions
from onpace.services.alert_mute import mute_end
from onpace.services.auth import Action
from onpace.services.views.alerts import AlertRuleView, AlertSeriesView, AlertTransitionView, MuteView

router = APIRouter(prefix="/alerts", tags=["alerts"])

MUTE: Action = "mute"  # an editor's, as annotating; named in a refusal (a viewer was told 'may not annotate')
DEFINE: Action = "manage_goals"  # rules are definitions, as objectives and KPIs are
NameQ = Annotated[str | None, Query(min_length=1, max_length=128, description="an alert rule's name")]
KpiQ = Annotated[str | None, Query(min_length=1, max_length=128, description="a KPI's name")]
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
IN_YAML = {409: "defined in YAML: change the file and run onpace apply"}


class MuteBody(BaseModel):
    """A mute: until a time (``until``) or for a while (``for``), and why; of the rule, or one of its series."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    until: dt.datetime | None = Field(
        default=None, description="when the mute ends (an ISO time; UTC without an offset), at most 366 days away"
    )
    for_: str | None = Field(
        default=None, alias="for", max_length=32, description="how long: '30 minutes', '2h', '1 day', '1 week'"
    )
    why: str = Field(min_length=1, max_length=2000, description="why the rule is muted (shown with the mute)")
    series: str | None = Field(
        default=None, min_length=1, max_length=500, description="one series of the rule; none: the whole rule"
    )

    @field_validator("why")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say why the rule is muted")
        return value.strip()


class TryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    send: bool = Field(default=False, description="also queue a test message to the rule's recipients (editors)")


class AlertBody(BaseModel):
    """An alert rule's definition, with the keys of the YAML (docs/alerts.md)."""

    model_config = {"extra": "allow"}
    name: str = Field(min_length=1, max_length=128)


def _known(param: str, what: str, name: str | None, names: Mapping[str, Any]) -> None:
    """A 400 naming the query parameter when ``name`` is none of ``names``."""
    if name is not None and name not in names:
        raise QueryError(f"{param}: unknown {what} '{name}'", suggestion=did_you_mean(name, names))


@router.get("")
def list_rules(project: ProjectDep, store: StoreDep) -> list[AlertRuleView]:
    """Every alert rule with its state (the worst of its series), its series and the mutes in force."""
    return alerts.list_rules(project, store)


@router.get("/history", responses=errors({400: "an unknown rule or KPI"}))
def history(
    project: ProjectDep,
    store: StoreDep,
    rule: NameQ = None,
    kpi: KpiQ = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="how many, newest first")] = 100,
) -> list[AlertTransitionView]:
    """Every change of state of a series, newest first, with its values; of one rule, of one KPI."""
    _known("rule", "alert rule", rule, project.alerts)
    _known("kpi", "KPI", kpi, project.kpis)
    return alerts.history(project, store, rule=rule, kpi=kpi, limit=limit)


@router.delete("/mutes/{mute_id}", status_code=204, dependencies=[allowed(MUTE)])
def unmute(mute_id: IdPath, project: ProjectDep, store: StoreDep, user: UserDep) -> None:
    """End a mute now (editors)."""
    user.require(MUTE)
    alerts.unmute(project, store, mute_id, by=user.name)


@router.get("/{name}")
def get_rule(name: str, project: ProjectDep, store: StoreDep) -> AlertRuleView:
    return alerts.get_rule(project, store, name)


@router.post(
    "/{name}/mute",
    status_code=201,
    responses=errors({400: "neither or both of until and for, or an end not in the next 366 days"}),
    dependencies=[allowed(MUTE)],
)
def mute(name: str, body: MuteBody, project: ProjectDep, store: StoreDep, user: UserDep) -> MuteView:
    """Mute the rule, or one of its series, until a time or for a while, saying why (editors). The state
    machine goes on and records its transitions; no message is sent while the mute lasts."""
    user.require(MUTE)
    until = mute_end(until=body.until, lasting=body.for_)
    return alerts.mute(project, store, name, until=until, by=user.name, why=body.why, series=body.series)


@router.post("/{name}/test", dependencies=[allowed("read")])
def try_rule(name: str, body: TryBody, project: ProjectDep, store: StoreDep, user: UserDep) -> list[AlertSeriesView]:
    """What the rule would say now, series by series, without recording anything; ``send`` also queues
    a test message to its recipients (editors)."""
    if body.send:
        user.require("send_test_messages")
    return alerts.test_rule(project, store, name, send=body.send)


@router.post("", status_code=201, responses=errors({409: "the name is taken"}), dependencies=[allowed(DEFINE)])
def create(body: AlertBody, project: ProjectDep, store: StoreDep, user: UserDep) -> AlertRuleView:
    """Create an alert rule (kept in models/app.yml); strategists and admins."""
    user.require(DEFINE)
    reloaded = app_definitions.save(project, store, "alert", body.model_dump(), actor=user.name, create=True)
    return alerts.get_rule(reloaded, store, body.name)


@router.put("/{name}", responses=errors(IN_YAML), dependencies=[allowed(DEFINE)])
def update(name: str, body: AlertBody, project: ProjectDep, store: StoreDep, user: UserDep) -> AlertRuleView:
    """Replace an alert rule made in the app; one defined in another file is refused (409)."""
    user.require(DEFINE)
    reloaded = app_definitions.replace(project, store, "alert", name, body.model_dump(), actor=user.name)
    return alerts.get_rule(reloaded, store, name)


@router.delete("/{name}", status_code=204, responses=errors(IN_YAML), dependencies=[allowed(DEFINE)])
def delete(name: str, project: ProjectDep, store: StoreDep, user: UserDep) -> None:
    user.require(DEFINE)
    app_definitions.delete(project, store, "alert", name, actor=user.name)
