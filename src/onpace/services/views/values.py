"""The values stored for a metric (``onpace values list``): by period, with when and by whom."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from onpace.catalog import models as m
from onpace.services.views.base import IsoDateTime, View


class StoredValue(View):
    """One stored value of a metric: a period of one series (the whole metric or a segment)."""

    period: dt.date = Field(description="the first day of the period")
    label: str = Field(description="the period's name, e.g. 2025-03 or 2025-Q1")
    segment: str | None = Field(description="the segment's filter; none: the whole metric")
    value: float | None
    updated_at: IsoDateTime = Field(description="when the value was last written")
    entered_by: str | None = Field(description="who imported it (manual values, from the audit log)")
    run_id: int | None = Field(description="the refresh run that computed it (values computed from data)")


class ValueListing(View):
    """Every stored value of a metric at one grain, by segment and period."""

    metric: str
    label: str
    kind: Literal["manual", "computed"] = Field(description="entered by hand (type manual) or computed by refresh")
    grain: str
    format: m.Format | None = None
    values: list[StoredValue]
