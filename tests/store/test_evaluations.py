"""KPI evaluations: the newest per KPI and segment, and a KPI's history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from onpace.store import Store
from onpace.store.evaluations import add_evaluation, evaluation_history, latest_evaluations
from onpace.store.runs import start_run

T0 = datetime(2024, 4, 1, 6, 0, tzinfo=UTC)
Q2_START, Q2_END = date(2024, 4, 1), date(2024, 6, 30)


def evaluate(store: Store, kpi: str, at: datetime, status: str = "on_track", segment: str = "", **fields: Any) -> int:
    with store.session() as s:
        return add_evaluation(
            s,
            kpi=kpi,
            segment=segment,
            evaluated_at=at,
            as_of=at.date(),
            period_start=Q2_START,
            period_end=Q2_END,
            status=status,
            **fields,
        )


def test_every_field_round_trips(store: Store) -> None:
    with store.session() as s:
        run_id = start_run(s, "full", "scheduler")
        add_evaluation(
            s,
            kpi="nrr",
            segment="region = 'EU'",
            run_id=run_id,
            evaluated_at=T0,
            as_of=date(2024, 5, 15),
            period_start=date(2024, 4, 1),
            period_end=date(2024, 6, 30),
            target=1.1,
            target_low=1.05,
            target_high=1.2,
            actual=0.62,
            expected_to_date=0.55,
            attainment=1.127,
            forecast=1.16,
            forecast_low=1.02,
            forecast_high=1.3,
            probability=0.81,
            status="ahead",
            details={"phasing": "linear", "drivers": ["churn", "expansion"], "band": [0.9, None]},
        )
    with store.session() as s:
        [row] = latest_evaluations(s)
    assert (row.kpi, row.segment, row.run_id, row.evaluated_at, row.status) == (
        "nrr",
        "region = 'EU'",
        run_id,
        T0,
        "ahead",
    )
    assert (row.as_of, row.period_start, row.period_end) == (date(2024, 5, 15), date(2024, 4, 1), date(2024, 6, 30))
    numbers = (row.target, row.target_low, row.target_high, row.actual, row.expected_to_date, row.attainment)
    assert numbers == (1.1, 1.05, 1.2, 0.62, 0.55, 1.127)
    assert (row.forecast, row.forecast_low, row.forecast_high, row.probability) == (1.16, 1.02, 1.3, 0.81)
    assert row.details == {"phasing": "linear", "drivers": ["churn", "expansion"], "band": [0.9, None]}


def test_optional_numbers_default_to_none_and_details_to_empty(store: Store) -> None:
    evaluate(store, "nps", T0, status="no_data")
    with store.session() as s:
        [row] = latest_evaluations(s)
    assert (row.target, row.actual, row.forecast, row.probability, row.run_id) == (None, None, None, None, None)
    assert (row.segment, row.details) == ("", {})


def test_latest_is_the_newest_per_kpi_and_segment(store: Store) -> None:
    evaluate(store, "nrr", T0, "behind")
    evaluate(store, "nrr", T0 + timedelta(days=1), "on_track")
    evaluate(store, "nrr", T0 + timedelta(hours=12), "at_risk")  # written later, but older
    evaluate(store, "nrr", T0 + timedelta(days=2), "behind", segment="region = 'EU'")
    evaluate(store, "nrr", T0, "ahead", segment="region = 'EU'")
    evaluate(store, "arr", T0, "ahead")
    with store.session() as s:
        latest = [(e.kpi, e.segment, e.status) for e in latest_evaluations(s)]
        assert latest == [
            ("arr", "", "ahead"),
            ("nrr", "", "on_track"),
            ("nrr", "region = 'EU'", "behind"),
        ]
        assert [(e.segment, e.status) for e in latest_evaluations(s, "nrr")] == [
            ("", "on_track"),
            ("region = 'EU'", "behind"),
        ]


def test_at_the_same_instant_the_later_evaluation_wins(store: Store) -> None:
    evaluate(store, "nrr", T0, "behind")
    second = evaluate(store, "nrr", T0, "on_track")
    with store.session() as s:
        assert [e.id for e in latest_evaluations(s)] == [second]


def test_history_is_oldest_first_per_segment(store: Store) -> None:
    for day, status in [(2, "b"), (0, "a"), (5, "c")]:
        evaluate(store, "nrr", T0 + timedelta(days=day), status)
    evaluate(store, "nrr", T0 + timedelta(days=1), "eu", segment="region = 'EU'")
    with store.session() as s:
        assert [e.status for e in evaluation_history(s, "nrr")] == ["a", "b", "c"]
        assert [e.status for e in evaluation_history(s, "nrr", limit=2)] == ["b", "c"]
        assert [e.status for e in evaluation_history(s, "nrr", since=T0 + timedelta(days=1))] == ["b", "c"]
        assert [e.status for e in evaluation_history(s, "nrr", "region = 'EU'")] == ["eu"]
        assert evaluation_history(s, "unknown") == []


def test_details_must_be_json(store: Store) -> None:
    with pytest.raises(ValueError, match="details of the evaluation of 'nrr' must be plain JSON"):
        evaluate(store, "nrr", T0, details={"probability": float("nan")})
