"""The scorecard page's own rules: a change target's growth, and objectives worst first.

Numbers worked out by hand: a baseline of 1,000 and "+10%" make a target of 1,100; phased
to half of it by now, 550 are expected; the baseline's half is 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from onpace.services.board import by_severity
from onpace.services.views.change import ChangeShown


def _change(actual: float, expected: float, *, baseline: float = 1000.0, change: float = 0.10) -> ChangeShown:
    target = baseline + abs(baseline) * change
    return ChangeShown.of(
        change, "vs previous period", baseline, actual=actual, expected_to_date=expected, target=target, forecast=1200.0
    )


def test_growth_to_date_is_against_the_baseline_due_by_now() -> None:
    shown = _change(600.0, 550.0)
    assert shown.baseline_to_date == pytest.approx(500.0)  # 1,000 x 550 / 1,100
    assert shown.to_date == pytest.approx(0.20)  # 600 against 500
    assert shown.forecast == pytest.approx(0.20)  # 1,200 against the whole 1,000
    assert shown.target == 0.10


@pytest.mark.parametrize("actual", [540.0, 550.0, 560.0])
def test_growth_reaches_the_change_asked_for_exactly_on_pace(actual: float) -> None:
    """On pace (actual >= expected, 550) exactly when the growth to date is at least +10%."""
    shown = _change(actual, 550.0)
    assert shown.to_date is not None
    assert (shown.to_date >= 0.10 - 1e-12) == (actual >= 550.0)


def test_a_negative_baseline_grows_towards_zero() -> None:
    """A loss of 100 and "+20%": target -80; half phased, -40 expected; the baseline's half is -50.
    -45 is 5 better than -50, a tenth of its size: +10%, short of +20% as -45 is short of -40."""
    shown = _change(-45.0, -40.0, baseline=-100.0, change=0.20)
    assert shown.baseline_to_date == pytest.approx(-50.0)
    assert shown.to_date == pytest.approx(0.10)


def test_no_growth_without_a_base() -> None:
    assert _change(600.0, 550.0, baseline=0.0).to_date is None


@dataclass
class Node:
    status: str
    name: str
    children: list[Node] = field(default_factory=list)


def test_objectives_are_listed_worst_first_their_order_kept_within_a_status() -> None:
    nodes = [
        Node("on_track", "a"),
        Node("no_data", "b"),
        Node("off_track", "c", [Node("on_track", "c1"), Node("at_risk", "c2")]),
        Node("at_risk", "d"),
        Node("off_track", "e"),
    ]
    ordered = by_severity(nodes)  # type: ignore[arg-type]
    assert [n.name for n in ordered] == ["c", "e", "d", "a", "b"]
    assert [n.name for n in ordered[0].children] == ["c2", "c1"]
