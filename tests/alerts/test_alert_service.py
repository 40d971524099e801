"""The alerts service on a store: transitions and outbox messages in one transaction, mutes, history,
the KPI page's and the scorecard's views, and two evaluations at once never moving a series twice."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from onpace.catalog.project import Project, load_project
from onpace.errors import NotFoundError, UserError
from onpace.services import alerts
from onpace.store import observations as obs
from onpace.store.db import Store
from onpace.store.models import AlertMute, AlertSeriesState, OutboxMessage

START = dt.date(2026, 3, 1)
CONFIG = """name: shop
sources: {warehouse: {url: "duckdb:///data/none.duckdb"}}
channels: {inbox: {type: file, folder: outbox}}
"""
MODELS = """metrics:
  - {name: signups, type: manual, grain: day}
alerts:
  - name: many_signups
    kind: threshold
    metric: signups
    above: 100
    recipients: [channel:inbox]
  - name: signups_stale
    kind: stale
    metric: signups
    within: 2 days
    recipients: [channel:inbox]
"""
# signups by day from START: over 100 on days 2 and 3, nothing after day 5
VALUES = [50.0, 60.0, 150.0, 120.0, 40.0, 45.0]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "onpace.yml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "shop.yml").write_text(MODELS, encoding="utf-8")
    return load_project(tmp_path)


@pytest.fixture
def filled(store: Store) -> Store:
    with store.session() as s:
        sid = obs.get_or_create_series(s, "signups", "day", "", origin="manual")
        obs.write_observations(s, sid, [(START + dt.timedelta(days=i), v) for i, v in enumerate(VALUES)])
    return store


def day(i: int) -> dt.date:
    return START + dt.timedelta(days=i)


def test_replay_records_transitions_and_queues_messages(project: Project, filled: Store):
    run = alerts.replay_alerts(project, filled, day(0), day(9))
    assert run.rules == 2
    moves = [(t.as_of, t.rule, t.from_state, t.to_state) for t in reversed(alerts.history(project, filled))]
    assert moves == [
        (day(2), "many_signups", "normal", "firing"),  # 150 > 100
        (day(4), "many_signups", "firing", "resolved"),  # 40
        (day(5), "many_signups", "resolved", "normal"),  # 45
        # the last day with data is day 5: on day 8 it is 3 days old (more than the 2 days allowed)
        (day(8), "signups_stale", "normal", "firing"),
    ]
    with filled.session(readonly=True) as s:
        messages = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    # firing and resolved of many_signups, firing of signups_stale: one message each, to the inbox
    assert [(m.channel, m.payload["rule"], m.payload["message"]) for m in messages] == [
        ("inbox", "many_signups", "firing"),
        ("inbox", "many_signups", "resolved"),
        ("inbox", "signups_stale", "firing"),
    ]
    assert run.messages == 3
    assert "150 is above 100" in messages[0].text
    first = alerts.history(project, filled, rule="many_signups")[-1]
    assert first.value == 150 and first.notified
    # the same day again: nothing new is queued (the series is already firing)
    again = alerts.evaluate_alerts(project, filled, as_of=day(9))
    assert again.messages == 0


def test_latest_value_threshold_sees_days_after_the_last_value_as_the_last_value(project: Project, filled: Store):
    # as of day 6 and 7 the last value known is day 5's (45): the threshold does not hold
    alerts.replay_alerts(project, filled, day(2), day(7), rules=["many_signups"])
    states = [(t.as_of, t.to_state) for t in reversed(alerts.history(project, filled, rule="many_signups"))]
    assert states == [(day(2), "firing"), (day(4), "resolved"), (day(5), "normal")]


def test_mute_suppresses_messages_but_records_transitions(project: Project, filled: Store):
    until = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    made = alerts.mute(project, filled, "many_signups", until=until, by="ana", why="campaign week")
    assert made.by == "ana" and made.series is None
    # a mute made now applies from now on: evaluate with a clock after it was made
    now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    with filled.session() as s:
        sid = obs.get_or_create_series(s, "signups", "day", "", origin="manual")
        obs.write_observations(s, sid, [(day(6), 500.0)])
    run = alerts.evaluate_alerts(project, filled, now=now, rules=["many_signups"])
    assert run.transitions == 1 and run.messages == 0
    t = alerts.history(project, filled, rule="many_signups")[0]
    assert (t.to_state, t.notified, t.value) == ("firing", False, 500)
    rule = alerts.get_rule(project, filled, "many_signups")
    assert rule.state == "firing" and rule.mutes[0].why == "campaign week"
    assert rule.series[0].muted_until == until
    assert alerts.unmute(project, filled, made.id, by="ana") == f"Ended mute {made.id}"
    # again, by someone else: nothing changes, and it says so (it said "Ended" again)
    again = alerts.unmute(project, filled, made.id, by="bo")
    assert again.startswith(f"mute {made.id} had ended already: on ") and again.endswith(" UTC, by ana")
    # unmuted and still firing: the firing message goes out now, once
    later = now + dt.timedelta(minutes=5)
    assert alerts.evaluate_alerts(project, filled, now=later, rules=["many_signups"]).messages == 1
    assert (
        alerts.evaluate_alerts(project, filled, now=later + dt.timedelta(minutes=5), rules=["many_signups"]).messages
        == 0
    )


def test_bad_input(project: Project, filled: Store):
    with pytest.raises(NotFoundError, match="no alert rule 'many_signup'; did you mean 'many_signups'"):
        alerts.get_rule(project, filled, "many_signup")
    with pytest.raises(UserError, match="the mute must end in the future"):
        alerts.mute(project, filled, "many_signups", until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), by="a", why="b")
    with pytest.raises(UserError, match="why"):
        alerts.mute(project, filled, "many_signups", until=dt.datetime(2100, 1, 1, tzinfo=dt.UTC), by="a", why=" ")
    with pytest.raises(NotFoundError, match="no mute 999"):
        alerts.unmute(project, filled, 999, by="a")
    with pytest.raises(UserError, match="before"):
        alerts.replay_alerts(project, filled, day(5), day(1))
    # a day after today: its transitions were stamped then and held every re-notification back until then
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    with pytest.raises(UserError, match="has not happened"):
        alerts.evaluate_alerts(project, filled, as_of=tomorrow)
    assert all(t.as_of is None or t.as_of < tomorrow for t in alerts.history(project, filled, limit=1000))


def test_test_rule_records_nothing(project: Project, filled: Store):
    found = alerts.test_rule(project, filled, "signups_stale", send=True)
    assert [s.series for s in found] == ["signups"]
    assert found[0].state == "firing"  # the last value is from March 2026: long ago
    assert alerts.history(project, filled) == []
    with filled.session(readonly=True) as s:
        (message,) = list(s.scalars(select(OutboxMessage)))
        assert s.scalars(select(AlertSeriesState)).first() is None
    assert message.subject.startswith("[onpace] TEST FIRING") and message.payload["test"] is True


def test_two_evaluations_at_once_move_a_series_once(project: Project, filled: Store, store_url: str):
    """Two threads, each with its own store (its own connections), evaluate the same day at once."""
    stores = [Store(store_url), Store(store_url)]
    barrier = threading.Barrier(2)
    results = []

    def evaluate(s: Store) -> None:
        barrier.wait()
        results.append(alerts.evaluate_alerts(project, s, as_of=day(2), rules=["many_signups"]))

    threads = [threading.Thread(target=evaluate, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert sum(r.transitions for r in results) == 1
    assert sum(r.messages for r in results) == 1
    assert [t.to_state for t in alerts.history(project, filled)] == ["firing"]


def test_unmuting_a_mute_that_ran_out_says_so(project: Project, filled: Store) -> None:
    until = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    made = alerts.mute(project, filled, "many_signups", until=until, by="ana", why="launch")
    with filled.session() as s:  # as if it had been made for an hour, two days ago
        s.get(AlertMute, made.id).until = dt.datetime(2020, 3, 4, 5, 6, tzinfo=dt.UTC)  # type: ignore[union-attr]
    said = alerts.unmute(project, filled, made.id, by="bo")
    assert said == f"mute {made.id} had run out already: on 2020-03-04 05:06 UTC"
    with filled.session(readonly=True) as s:
        row = s.get(AlertMute, made.id)
        assert row is not None and row.ended_at is None and row.ended_by is None  # not rewritten as ended by bo
