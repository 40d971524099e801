"""Scheduled reports: the ``reports:`` key of a model file (docs/reports.md), and review reminders.

A report has an *audience* (which KPIs it covers: an objective and the objectives under it, a
department, an owner, a list of KPIs, or every KPI), a *schedule* (a cron in a time zone), its
*recipients* (the forms alert rules use) and its *formats* (the PDF pack and the CSV of the
numbers; the email body is always HTML with the charts inline). References are checked by
:mod:`onpace.catalog.validate_reports`, with the file and line.

:class:`Reminders` (``reminders:`` in onpace.yml) says when the owners of KPIs whose review is due
hear about it, and after how long an overdue review goes to the objective's owner.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, field_validator, model_validator

from onpace.catalog.alerts import DURATION_FORMS, RECIPIENT_FORMS, parse_duration, recipient
from onpace.catalog.base import Identifier, Model, NameText
from onpace.catalog.schedule import Timing

ReportFormat = Literal["pdf", "csv"]
FORMATS: tuple[ReportFormat, ...] = ("pdf", "csv")
Paper = Literal["a4", "letter"]
_DURATION_SCHEMA = WithJsonSchema({"type": "string", "description": DURATION_FORMS})


class Audience(Model):
    """Which KPIs a report covers: exactly one of these (none: every KPI of the project)."""

    objective: Identifier | None = Field(
        default=None, description="An objective: its KPIs and those of the objectives under it."
    )
    department: NameText | None = Field(default=None, description="The KPIs whose metric has this department.")
    owner: NameText | None = Field(default=None, description="The KPIs this person owns.")
    kpis: list[Identifier] | None = Field(default=None, description="These KPIs, in this order.")

    @model_validator(mode="after")
    def _one(self) -> Audience:
        given = [k for k in ("objective", "department", "owner", "kpis") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"an audience has one of objective, department, owner or kpis; got {' and '.join(given)}")
        if self.kpis is not None and not self.kpis:
            raise ValueError("audience.kpis is empty; expected at least one KPI name")
        return self

    @property
    def text(self) -> str:
        """The audience in words: 'objective grow_sales', 'department Sales', 'every KPI'."""
        if self.objective is not None:
            return f"objective {self.objective}"
        if self.department is not None:
            return f"department {self.department}"
        if self.owner is not None:
            return f"owner {self.owner}"
        if self.kpis is not None:
            return "KPIs " + ", ".join(self.kpis)
        return "every KPI"


class Report(Model):
    """A report: the scorecard of its audience's KPIs as of its date, sent on its schedule."""

    name: Identifier = Field(description="The report's name: lower-case letters, digits and underscores.")
    label: str | None = Field(default=None, max_length=200, description="Its title (default: from the name).")
    description: str | None = Field(default=None, description="What it is for, shown on the Reports page.")
    audience: Audience = Field(default_factory=Audience, description="Which KPIs it covers (default: every KPI).")
    schedule: Timing | None = Field(
        default=None, description="When it is sent (a cron and a time zone); none: sent only on demand."
    )
    recipients: list[str] = Field(
        default_factory=list, description=RECIPIENT_FORMS.replace("owner, ", "owner (each KPI's owner), ")
    )
    formats: list[ReportFormat] = Field(
        default_factory=lambda: list(FORMATS),
        description="Attachments of the email: pdf (the pack), csv (the numbers).",
    )
    paper: Paper = Field(default="a4", description="The PDF's paper size: a4 or letter.")
    past_periods: int = Field(default=4, ge=0, le=24, description="Past periods' results shown for each KPI.")
    what_changed: bool = Field(
        default=True, description="A 'what changed and why' paragraph for each KPI that moved since the last report."
    )

    @field_validator("recipients", mode="before")
    @classmethod
    def _recipients(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [recipient(item) for item in value]

    @field_validator("formats")
    @classmethod
    def _formats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"formats {value} repeat a format; expected each of {', '.join(FORMATS)} at most once")
        return value

    @model_validator(mode="after")
    def _timing(self) -> Report:
        if self.schedule is not None and self.schedule.cron is None:
            raise ValueError(f"report '{self.name}': schedule needs a cron (e.g. '0 8 * * mon'), not 'every'")
        return self

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


class Reminders(Model):
    """Review reminders (``reminders:`` in onpace.yml): when due reviews are looked for, and escalation."""

    enabled: bool = Field(default=True, description="false: no reminder is sent.")
    schedule: Timing = Field(
        default_factory=lambda: Timing(cron="0 8 * * *"),
        description="When due reviews are looked for (default every day at 08:00 UTC).",
    )
    escalate_after: Annotated[dt.timedelta | None, _DURATION_SCHEMA] = Field(
        default=dt.timedelta(days=7),
        description="An overdue review this long goes to the objective's owner too (a duration; null: never).",
    )
    channels: list[str] = Field(
        default_factory=list,
        description="Also tell these channels (channel:NAME); owners are reached through their person's email.",
    )

    @field_validator("escalate_after", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value, "escalate_after")

    @field_validator("channels", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = [recipient(item) for item in value]
        for item in out:
            if not item.startswith("channel:"):
                raise ValueError(f"reminders.channels: {item!r}; expected channel:NAME")
        return out
