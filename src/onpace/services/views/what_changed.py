"""What changed and why: a KPI's change on the same days of the previous period, the segments
behind it and how its driver metrics moved, with the paragraph that says so (docs/what-changed.md)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from onpace.catalog.models import Format
from onpace.services.views.base import View


class Window(View):
    """Days compared, both included."""

    start: dt.date
    end: dt.date
    days: int


class Contributor(View):
    """A segment the paragraph names: its part of the change."""

    dimension: str
    segment: str | None = Field(description="the dimension's value (none: rows without one)")
    before: float | None = Field(description="the segment's value in the previous window (a ratio: its own ratio)")
    now: float | None = Field(description="the segment's value in the current window (a ratio: its own ratio)")
    delta: float | None = Field(
        description="its contribution to the change (a non-additive metric: its own change; none: unknown)"
    )
    share: float | None = Field(
        description="delta over the KPI's change (none: a non-additive metric, or no change to share)"
    )


class DriverChange(View):
    """A driver metric of the KPI over the same two windows."""

    name: str
    label: str
    now: float | None
    before: float | None
    change_pct: float | None = Field(description="now against before: +0.031 is 3.1% more (none: no value before)")
    moved: Literal["with", "against", "flat"] | None = Field(
        description="whether it moved the way the KPI did (none: either did not change or has no change)"
    )
    format: Format


class WhatChanged(View):
    """A KPI's change on the same days of the previous period, the segments behind it and its drivers."""

    kpi: str
    segment: str = Field(description="the segment value of a KPI with per-segment targets; '' the whole")
    metric: str
    method: Literal["additive", "ratio", "non_additive"] | None = Field(
        description="how the change is split by segment (none: it is not split)"
    )
    current: Window | None = Field(description="the KPI's period up to the as-of day (none: not evaluated yet)")
    previous: Window | None = Field(description="the same number of days from the start of the previous period")
    value_now: float | None
    value_before: float | None
    change: float | None = Field(description="value_now - value_before")
    change_pct: float | None = Field(description="change over value_before: +0.042 is 4.2% more")
    negligible: bool = Field(
        default=False,
        description="the change is 0 or too small to tell (under 0.5% of value_before, and for a percent of what"
        " remains to 100%): the paragraph says (about) unchanged and names the largest moves without shares",
    )
    dimension: str | None = Field(description="the dimension the change is most concentrated in")
    contributors: list[Contributor] = Field(
        description="the segments the paragraph names, in its order (their shares are exact even when the"
        " paragraph does not give them: a negligible change)"
    )
    drivers: list[DriverChange]
    paragraph: str
    note: str | None = Field(default=None, description="why there is nothing to compare, when there is not")
    format: Format
