"""A person's own views: the KPIs they own or follow (My KPIs), following a KPI, and a run of the
review reminders (``onpace reviews remind``, the ``reminders`` job)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from onpace.services.views.alerts import AlertSeriesView
from onpace.services.views.base import View
from onpace.services.views.notes import ReviewDue
from onpace.services.views.scorecard import ScorecardRow


class FollowView(View):
    """Whether a user follows a KPI (the answer of following or unfollowing it)."""

    kpi: str
    following: bool


class MyKpi(View):
    """A KPI on a user's My KPIs page: why it is there, its rows, its reviews and its alerts."""

    kpi: str
    label: str
    objective: str | None
    owner: str | None
    owned: bool = Field(description="the user owns it (they are its owner, or the person their login maps to)")
    followed: bool = Field(description="the user follows it")
    rows: list[ScorecardRow] = Field(description="its latest evaluations, one per segment (none: never evaluated)")
    reviews: list[ReviewDue] = Field(description="each of its instances with the day its next review is due")
    alerts: list[AlertSeriesView] = Field(description="the series of the alert rules that watch it")


class MyKpis(View):
    """``GET /api/my/kpis`` and the My KPIs page: the KPIs a user owns or follows."""

    user: str
    owner_names: list[str] = Field(description="the names a KPI's owner has when the user owns it")
    today: dt.date
    kpis: list[MyKpi]
    reviews_due: list[ReviewDue] = Field(
        description="the reviews of these KPIs due by today or never made, the most overdue first"
    )
    firing: int = Field(description="how many alert series of these KPIs fire")


class ReminderView(View):
    """One reminder (to a KPI's owner) or escalation (to its objective's owner) of a run."""

    kind: Literal["reminder", "escalation"]
    kpi: str
    segment: str | None
    label: str
    to: str | None = Field(description="the person told: the KPI's owner, or the objective's owner")
    due: dt.date | None = Field(description="the day the review was due (none: never reviewed)")
    since: dt.date = Field(description="the day it counts as due from (never reviewed: the first reminder's day)")
    days_overdue: int
    queued: int = Field(description="messages queued now")
    skipped: int = Field(description="messages queued by an earlier run (never twice)")
    unreachable: str | None = Field(default=None, description="why the person could not be told")


class RemindersRun(View):
    """What one run of the review reminders did (``onpace reviews remind``, the ``reminders`` job)."""

    today: dt.date
    dry_run: bool = Field(default=False, description="nothing was queued: what a run would queue")
    due: int = Field(description="KPI instances whose review is due (by today, or never reviewed)")
    overdue: int = Field(description="of those, due before today or never reviewed")
    escalated: int = Field(
        description="of those, overdue for escalate_after or longer: their objective's owner is told"
    )
    queued: int = Field(description="messages queued in the outbox")
    skipped: int = Field(description="messages already queued by an earlier run (never twice)")
    unreachable: list[str] = Field(description="the people who could not be told (no email, no email channel)")
    messages: list[ReminderView] = Field(default_factory=list)
