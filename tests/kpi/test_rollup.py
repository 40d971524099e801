"""An objective's roll-up score and status (onpace.kpi.rollup), with numbers worked out by hand."""

from __future__ import annotations

import pytest

from onpace.kpi.rollup import Tally, rollup_status, tally


def test_a_weighted_mean_of_the_kpis_with_data() -> None:
    # on track (1) weighs 1, at risk (0.5) weighs 2, a KPI without data is left out whatever its weight
    result = tally([("on_track", 1.0), ("at_risk", 2.0), ("no_data", 5.0)])
    assert (result.total, result.weight) == (2.0, 3.0)
    assert result.score == pytest.approx(2 / 3)
    assert result.status == "at_risk"


def test_achieved_counts_as_on_track_and_missed_as_off_track() -> None:
    assert tally([("achieved", 1.0), ("missed", 1.0)]).score == 0.5


def test_child_objectives_add_their_tallies_not_their_means() -> None:
    child = tally([("off_track", 1.0), ("off_track", 1.0), ("off_track", 1.0)])
    parent = tally([("on_track", 1.0)], [child])
    # (1 + 0 + 0 + 0) / 4 = 0.25 (a mean of the two means would be 0.5, at risk)
    assert (parent.total, parent.weight, parent.score, parent.status) == (1.0, 4.0, 0.25, "off_track")


def test_no_kpi_with_data_is_no_data() -> None:
    assert tally([("no_data", 1.0)]) == Tally(0.0, 0.0)
    assert (Tally().score, Tally().status) == (None, "no_data")
    assert tally([], [Tally()]).status == "no_data"


@pytest.mark.parametrize(
    ("score", "status"),
    [
        (1.0, "on_track"),
        (0.8, "on_track"),
        (0.79, "at_risk"),
        (0.5, "at_risk"),
        (0.49, "off_track"),
        (0.0, "off_track"),
    ],
)
def test_the_status_thresholds(score: float, status: str) -> None:
    assert rollup_status(score) == status
