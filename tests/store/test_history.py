"""Target history, lifecycle events and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from onpace.store import Store
from onpace.store.audit import audit, list_audit
from onpace.store.lifecycle import list_lifecycle, record_lifecycle
from onpace.store.models import LifecycleEvent, TargetChange
from onpace.store.targets import list_target_history, record_target_change

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_target_changes_oldest_first_with_old_and_new(store: Store) -> None:
    first_target = {"value": 1.1, "timeframe": "2024"}
    second_target = {"value": 1.15, "timeframe": "2024", "segments": {"EU": 1.2}}
    with store.session() as s:
        record_target_change(s, "nrr", "alice", "api", first_target, second_target, changed_at=T0 + timedelta(days=3))
        record_target_change(s, "nrr", "ci", "yaml", None, first_target, changed_at=T0)
        record_target_change(s, "arr", "ci", "yaml", None, {"value": 5e6}, changed_at=T0)
    with store.session() as s:
        history = list_target_history(s, "nrr")
    assert [(h.source, h.changed_by, h.old, h.new) for h in history] == [
        ("yaml", "ci", None, first_target),
        ("api", "alice", first_target, second_target),
    ]
    assert history[0].changed_at == T0
    assert history[0].changed_at.tzinfo == UTC


def test_a_target_may_be_a_plain_number(store: Store) -> None:
    with store.session() as s:
        record_target_change(s, "nps", "ci", "yaml", 40, 45.5)
        [change] = list_target_history(s, "nps")
    assert (change.old, change.new) == (40, 45.5)


def test_no_previous_target_is_sql_null(store: Store) -> None:
    with store.session() as s:
        record_target_change(s, "nps", "ci", "yaml", None, 40)
    with store.session() as s:
        assert s.query(TargetChange).filter(TargetChange.old.is_(None)).count() == 1


def test_target_source_is_checked_by_the_database(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as s:
        record_target_change(s, "nps", "ci", "email", None, 40)  # type: ignore[arg-type]


def test_lifecycle_events(store: Store) -> None:
    with store.session() as s:
        record_lifecycle(s, "churn", "promote", "cfo", "drives NRR", {"objective": "retention"})
        record_lifecycle(s, "page_views", "demote", "cmo", "no link to revenue")
        record_lifecycle(s, "churn", "demote", "cfo", "target never moved results")
    with store.session() as s:
        churn = list_lifecycle(s, "churn")
        assert [(e.action, e.actor, e.reason) for e in churn] == [
            ("promote", "cfo", "drives NRR"),
            ("demote", "cfo", "target never moved results"),
        ]
        assert churn[0].details == {"objective": "retention"}
        assert churn[1].details == {}
        assert churn[0].at.tzinfo == UTC
        assert [e.metric for e in list_lifecycle(s)] == ["churn", "page_views", "churn"]


def test_lifecycle_action_is_checked_by_the_database(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(LifecycleEvent(metric="m", action="archive", actor="a", reason="r", details={}))


def test_audit_log_newest_first_and_filtered(store: Store) -> None:
    with store.session() as s:
        audit(s, "alice", "apply", "metric", "revenue", {"file": "models/sales.yml", "change": "added"})
        audit(s, "bob", "update", "kpi", "nrr", {"field": "target", "old": 1.1, "new": 1.15})
        audit(s, "alice", "delete", "metric", "legacy")
    with store.session() as s:
        assert [e.object_name for e in list_audit(s)] == ["legacy", "nrr", "revenue"]
        assert [e.object_name for e in list_audit(s, limit=1)] == ["legacy"]
        assert [e.object_name for e in list_audit(s, actor="alice")] == ["legacy", "revenue"]
        assert [e.object_name for e in list_audit(s, action="update")] == ["nrr"]
        assert [e.object_name for e in list_audit(s, object_kind="metric", object_name="revenue")] == ["revenue"]
        assert list_audit(s, since=datetime.now(UTC) + timedelta(minutes=1)) == []
        [update] = list_audit(s, action="update")
    assert update.details == {"field": "target", "old": 1.1, "new": 1.15}
    assert (update.actor, update.object_kind) == ("bob", "kpi")
    assert update.at.tzinfo == UTC
