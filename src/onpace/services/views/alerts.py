"""Alert rules, the state of each rule's series, their transitions and mutes (issue 17 contract).

The alerts' service (:mod:`onpace.services.alerts`) builds these; the Alerts page, the KPI page, the
scorecard card, ``onpace alert ...`` and ``/api/alerts`` render them. Fields may be added, not renamed.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from onpace.services.views.base import IsoDateTime, View

AlertState = Literal["normal", "pending", "firing", "resolved", "no_data", "error"]
AlertKind = Literal["status", "threshold", "change", "anomaly", "stale", "refresh_error"]


class MuteView(View):
    """A silence: no message while it lasts (the state machine still runs and records transitions)."""

    id: int
    rule: str
    series: str | None = Field(description="one series of the rule; none: every series of the rule")
    until: IsoDateTime
    by: str
    why: str
    created_at: IsoDateTime


class AlertSeriesView(View):
    """The state of one series of a rule (a KPI instance, a metric segment, a source)."""

    rule: str
    series: str = Field(description="what the rule watches here: a KPI (and segment), a metric, a source")
    kpi: str | None = None
    state: AlertState
    since: IsoDateTime | None = Field(description="when the series entered its state")
    value: float | None = Field(default=None, description="the value the condition was last evaluated on")
    detail: str = Field(default="", description="the condition in words, with the numbers")
    last_evaluated_at: IsoDateTime | None = None
    last_notified_at: IsoDateTime | None = None
    muted_until: IsoDateTime | None = None


class AlertRuleView(View):
    """A rule as defined, with the states of its series."""

    name: str
    label: str | None = None
    kind: AlertKind
    description: str = Field(description="the rule in words: its scope and condition")
    scope: str = Field(description="kpi:NAME, objective:NAME, metric:NAME, source:NAME or project")
    recipients: list[str]
    managed_by_app: bool = Field(description="made in the web app (models/app.yml) rather than by hand")
    state: AlertState = Field(description="the worst state of its series")
    series: list[AlertSeriesView] = Field(default_factory=list)
    mutes: list[MuteView] = Field(default_factory=list)


class AlertTransitionView(View):
    """One change of state of a series, with the values that caused it."""

    id: int
    rule: str
    series: str
    kpi: str | None = None
    from_state: AlertState
    to_state: AlertState
    at: IsoDateTime = Field(description="when the transition was recorded")
    as_of: dt.date | None = Field(description="the data date the evaluation judged")
    value: float | None = None
    detail: str = ""
    notified: bool = Field(description="a message was queued for it (not muted, not suppressed)")


class AlertRunView(View):
    """What one evaluation of the rules did."""

    rules: int
    series: int
    transitions: int
    messages: int = Field(description="messages queued in the outbox")
    errors: dict[str, str] = Field(default_factory=dict, description="rule -> why it could not be evaluated")
