"""A KPI status rule says each status in the words the app labels it with (kpi.types.STATUS_LABELS)."""

from __future__ import annotations

import datetime as dt

import pytest

from onpace.catalog.alerts import AlertRule
from onpace.kpi.types import STATUS_LABELS
from onpace.services import alert_conditions as ac

DAY = dt.date(2025, 4, 10)


def _numbers(status: str) -> ac.KpiNumbers:
    return ac.KpiNumbers(
        status=status,
        actual=1.0,
        attainment=None,
        forecast=None,
        forecast_low=None,
        forecast_high=None,
        probability=None,
        expected_to_date=None,
        period_start=dt.date(2025, 4, 1),
        as_of=DAY,
    )


def _check(status: str, to: str = "at_risk", memo: dict[str, object] | None = None) -> ac.Check:
    rule = AlertRule.model_validate({"name": "watch", "kind": "status", "kpi": "sales", "to": to})
    return ac._status(rule, "sales", _numbers(status), dict(memo or {}))


def test_every_status_reads_as_its_label() -> None:
    # the labels as the app shows them, written here by hand, each in lower case in a sentence
    expected = {
        "on_track": "on track",
        "at_risk": "at risk",
        "off_track": "off track",
        "achieved": "achieved",
        "missed": "missed",
        "no_data": "no data",
    }
    assert {s: label.lower() for s, label in STATUS_LABELS.items()} == expected
    assert expected == ac.STATUS_WORDS  # every status the labels know, none forgotten


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        ("at_risk", "sales is at risk (as of 2025-04-10)"),
        ("missed", "sales is missed (as of 2025-04-10)"),
        ("no_data", "sales has no data (no data)"),
    ],
)
def test_the_status_in_the_alert(status: str, detail: str) -> None:
    check = _check(status)
    assert check.detail == detail
    assert check.facts["Status"] == STATUS_LABELS[status].lower()


def test_worse_names_the_status_it_was_by_its_rank() -> None:
    # rank 0 (on track) before, missed (rank 2) now: "worse than on track", the first label of rank 0
    check = _check("missed", to="worse", memo={"baseline": 0})
    assert (check.outcome, check.detail) == (True, "sales is missed, worse than on track")
    # rank 2 before (off track or missed): the first label of that rank is "off track"
    check = _check("at_risk", to="worse", memo={"baseline": 2})
    assert (check.outcome, check.detail) == (False, "sales is at risk")
    check = _check("at_risk", to="worse", memo={"baseline": 1})
    assert check.outcome is False and check.memo == {"baseline": 1}
