"""A change target's own quantity: the growth a KPI like "revenue +15% vs last year" is about.

Such a KPI is judged on its metric (revenue to date against the baseline moved by +15%),
but what it measures is the change: its card and page show the growth to date, the growth
its forecast gives and the growth asked for, all against the same baseline, so they agree
with its status: the growth to date is at least the change asked for exactly when the
actual is at least the expected value to date.
"""

from __future__ import annotations

from pydantic import Field

from onpace.services.views.base import View


def relative(value: float | None, base: float | None) -> float | None:
    """``value`` against ``base`` as a change (+0.15 is 15% more); None without a usable base."""
    if value is None or base is None or base == 0:
        return None
    return (value - base) / abs(base)


class ChangeShown(View):
    """Growth against a change target's baseline: to date, forecast at the period end, and asked for."""

    target: float = Field(description="the change asked for: +0.15 for +15%")
    basis: str = Field(description='what it is measured against, e.g. "vs same period last year"')
    baseline: float = Field(description="the baseline period's whole value")
    baseline_to_date: float | None = Field(description="the part of the baseline due by the as-of day (phased)")
    to_date: float | None = Field(description="the actual against the baseline's part due by the as-of day")
    forecast: float | None = Field(description="the forecast at the period end against the whole baseline")

    @classmethod
    def of(
        cls,
        change: float,
        basis: str,
        baseline: float,
        *,
        actual: float | None,
        expected_to_date: float | None,
        target: float | None,
        forecast: float | None,
    ) -> ChangeShown:
        """From the judged values: the target (the baseline moved by ``change``) is phased to date as
        the baseline is, so ``expected_to_date / target`` is the share of the baseline due by now."""
        share = expected_to_date / target if expected_to_date is not None and target else None
        due = baseline * share if share is not None else None
        return cls(
            target=change,
            basis=basis,
            baseline=baseline,
            baseline_to_date=due,
            to_date=relative(actual, due),
            forecast=relative(forecast, baseline),
        )
