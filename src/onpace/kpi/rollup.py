"""An objective's roll-up: one score and one status from the statuses of its KPIs and of the objectives under it.

Each KPI with data scores 1 (on track, achieved), 0.5 (at risk) or 0 (off
track, missed), weighted by its roll-up weight; a KPI without data (no_data)
is left out. An objective's score is the weighted mean over its own KPIs and
those of the objectives under it (their tallies added, not their means
averaged). A score of at least 0.8 is on track, at least 0.5 at risk, else
off track; an objective none of whose KPIs has data is no_data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: The score of each KPI status that counts; the others (no_data) are left out.
SCORES = {"on_track": 1.0, "achieved": 1.0, "at_risk": 0.5, "off_track": 0.0, "missed": 0.0}
ON_TRACK_SCORE = 0.8
AT_RISK_SCORE = 0.5


@dataclass(frozen=True)
class Tally:
    """The weighted scores of KPIs with data (``total``) and the sum of their weights (``weight``)."""

    total: float = 0.0
    weight: float = 0.0

    @property
    def score(self) -> float | None:
        """The weighted mean score; None when no KPI has data."""
        return self.total / self.weight if self.weight else None

    @property
    def status(self) -> str:
        return rollup_status(self.score)


def tally(kpis: Iterable[tuple[str, float]], children: Iterable[Tally] = ()) -> Tally:
    """The tally of an objective: its KPIs, as (status, weight), then the tallies of its child objectives."""
    total = weight = 0.0
    for status, kpi_weight in kpis:
        score = SCORES.get(status)
        if score is not None:
            total += score * kpi_weight
            weight += kpi_weight
    for child in children:
        total += child.total
        weight += child.weight
    return Tally(total, weight)


def rollup_status(score: float | None) -> str:
    """on_track from :data:`ON_TRACK_SCORE`, at_risk from :data:`AT_RISK_SCORE`, else off_track; no_data for None."""
    if score is None:
        return "no_data"
    if score >= ON_TRACK_SCORE:
        return "on_track"
    if score >= AT_RISK_SCORE:
        return "at_risk"
    return "off_track"
