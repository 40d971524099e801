"""KPI reviews: recorded, read back newest first, checked by the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from onpace.store import Store
from onpace.store.models import Review
from onpace.store.reviews import add_review, last_review, last_reviewed, list_reviews

T0 = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)


def test_a_review_is_kept_as_given(store: Store) -> None:
    with store.session() as s:
        review_id = add_review(
            s,
            "nrr",
            "alice",
            "at_risk",
            "Two large renewals slipped to May.",
            actions=["call the two accounts", "re-forecast in the next review"],
            period_start=date(2025, 4, 1),
            reviewed_at=T0,
        )
    with store.session(readonly=True) as s:
        review = s.get(Review, review_id)
    assert review is not None
    assert (review.kpi, review.segment, review.reviewer, review.assessment) == ("nrr", "", "alice", "at_risk")
    assert review.commentary == "Two large renewals slipped to May."
    assert review.actions == ["call the two accounts", "re-forecast in the next review"]
    assert review.period_start == date(2025, 4, 1)
    assert review.reviewed_at == T0
    assert review.reviewed_at.tzinfo == UTC


def test_defaults_no_actions_no_period_and_now(store: Store) -> None:
    before = datetime.now(UTC)
    with store.session() as s:
        add_review(s, "nrr", "bob", "on_track", "fine")
    with store.session(readonly=True) as s:
        review = last_review(s, "nrr")
    assert review is not None
    assert review.actions == []
    assert review.period_start is None
    assert review.segment == ""
    assert before - timedelta(seconds=1) <= review.reviewed_at <= datetime.now(UTC) + timedelta(seconds=1)


def test_the_time_is_stored_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    with store.session() as s:
        add_review(s, "nrr", "alice", "on_track", "ok", reviewed_at=datetime(2025, 4, 1, 11, 30, tzinfo=paris))
    with store.session(readonly=True) as s:
        review = last_review(s, "nrr")
    assert review is not None and review.reviewed_at == T0 and review.reviewed_at.tzinfo == UTC


def test_last_review_is_the_newest_of_that_kpi_and_segment(store: Store) -> None:
    with store.session() as s:
        add_review(s, "nrr", "alice", "on_track", "first", reviewed_at=T0)
        add_review(s, "nrr", "alice", "off_track", "newest", reviewed_at=T0 + timedelta(days=7))
        add_review(s, "nrr", "carol", "achieved", "older, recorded later", reviewed_at=T0 + timedelta(days=3))
        add_review(s, "nrr", "dan", "missed", "a segment", segment="EU", reviewed_at=T0 + timedelta(days=9))
        add_review(s, "arr", "erin", "on_track", "another KPI", reviewed_at=T0 + timedelta(days=10))
    with store.session(readonly=True) as s:
        whole = last_review(s, "nrr")
        eu = last_review(s, "nrr", "EU")
        assert last_review(s, "nrr", "US") is None
        assert last_review(s, "churn") is None
    assert whole is not None and whole.commentary == "newest"
    assert eu is not None and eu.commentary == "a segment"


def test_the_same_time_is_broken_by_the_order_of_recording(store: Store) -> None:
    with store.session() as s:
        add_review(s, "nrr", "alice", "on_track", "first", reviewed_at=T0)
        add_review(s, "nrr", "alice", "at_risk", "second", reviewed_at=T0)
    with store.session(readonly=True) as s:
        review = last_review(s, "nrr")
        assert [r.commentary for r in list_reviews(s, "nrr")] == ["second", "first"]
    assert review is not None and review.commentary == "second"


def test_list_reviews_newest_first_of_one_kpi_or_all(store: Store) -> None:
    with store.session() as s:
        for day in range(5):
            add_review(s, "nrr", "alice", "on_track", f"nrr {day}", reviewed_at=T0 + timedelta(days=day))
        add_review(s, "arr", "bob", "at_risk", "arr", segment="EU", reviewed_at=T0 + timedelta(hours=36))
    with store.session(readonly=True) as s:
        assert [r.commentary for r in list_reviews(s, "nrr")] == [f"nrr {d}" for d in (4, 3, 2, 1, 0)]
        assert [r.commentary for r in list_reviews(s)] == ["nrr 4", "nrr 3", "nrr 2", "arr", "nrr 1", "nrr 0"]
        assert [r.commentary for r in list_reviews(s, limit=2)] == ["nrr 4", "nrr 3"]
        assert [r.commentary for r in list_reviews(s, "arr")] == ["arr"]
        assert list_reviews(s, "churn") == []


def test_last_reviewed_per_kpi_and_segment(store: Store) -> None:
    with store.session() as s:
        assert last_reviewed(s) == {}
        add_review(s, "nrr", "alice", "on_track", "a", reviewed_at=T0)
        add_review(s, "nrr", "alice", "on_track", "b", reviewed_at=T0 + timedelta(days=2))
        add_review(s, "nrr", "alice", "on_track", "c", segment="EU", reviewed_at=T0 + timedelta(days=1))
    with store.session(readonly=True) as s:
        found = last_reviewed(s)
    assert found == {("nrr", ""): T0 + timedelta(days=2), ("nrr", "EU"): T0 + timedelta(days=1)}
    assert all(at.tzinfo == UTC for at in found.values())


def test_the_assessment_is_checked_by_the_database(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as s:
        add_review(s, "nrr", "alice", "fine", "looks fine")  # type: ignore[arg-type]


def test_actions_must_be_plain_json(store: Store) -> None:
    with pytest.raises(ValueError, match="actions of the review of 'nrr' must be plain JSON"), store.session() as s:
        add_review(s, "nrr", "alice", "on_track", "ok", actions=[object()])  # type: ignore[list-item]


def test_a_naive_time_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.session() as s:
        add_review(s, "nrr", "alice", "on_track", "ok", reviewed_at=datetime(2025, 4, 1, 9, 30))
