"""Following KPIs (SQLite and PostgreSQL): idempotent follow and unfollow, at once from two threads too,
My KPIs lists what a user owns and follows, and a follower hears the KPI's alerts.

The team of test_reminders.py: Ana Ruiz (login ana) owns weekly_signups and reviewed_lately; Cy
Dube (login cy) owns monthly_signups and has no email; Bo Chen (login bo) owns the objective only.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.services.test_reminders import DAY, fill_team, write_team

from onpace.catalog.project import Project, load_project
from onpace.errors import NotFoundError
from onpace.services import alerts, follows
from onpace.services.my_kpis import my_kpis, owner_names
from onpace.store import follows as stored
from onpace.store.db import Store
from onpace.store.models import Follow, OutboxMessage

RULE = """alerts:
  - name: quarter_short
    kind: threshold
    kpi: monthly_signups
    value: actual
    below: 1000
    recipients: [channel:team_chat]
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = write_team(tmp_path / "team")
    (root / "models" / "alerts.yml").write_text(RULE, encoding="utf-8")
    return load_project(root)


@pytest.fixture
def store(store_url: str, project: Project) -> Iterator[Store]:
    from onpace.services import auth

    opened = Store.open(store_url)
    fill_team(project, opened)
    for login in ("admin", "ana", "bo", "cy"):  # only logged-in users follow KPIs
        auth.add_user(opened, login, "a long password 1", "admin" if login == "admin" else "viewer", actor="test")
    yield opened
    opened.close()


def _rows(store: Store) -> list[tuple[str, str]]:
    with store.session(readonly=True) as s:
        return [(f.username, f.kpi) for f in s.scalars(select(Follow).order_by(Follow.username, Follow.kpi))]


def test_follow_and_unfollow_are_idempotent(project: Project, store: Store) -> None:
    assert follows.follow(project, store, "ana", "monthly_signups").following
    assert follows.follow(project, store, "ana", "monthly_signups").following  # again: nothing changes
    assert _rows(store) == [("ana", "monthly_signups")]
    assert follows.is_following(store, "ana", "monthly_signups")
    assert not follows.is_following(store, "bo", "monthly_signups")
    assert follows.followed_by(store, "ana") == ["monthly_signups"]
    assert not follows.unfollow(project, store, "ana", "monthly_signups").following
    assert not follows.unfollow(project, store, "ana", "monthly_signups").following  # again: nothing changes
    assert _rows(store) == []


def test_an_unknown_kpi_is_a_404_with_the_closest_name(project: Project, store: Store) -> None:
    with pytest.raises(NotFoundError, match="no KPI named 'montly_signups'; did you mean 'monthly_signups'"):
        follows.follow(project, store, "ana", "montly_signups")
    with pytest.raises(NotFoundError, match="did you mean 'monthly_signups'"):
        follows.unfollow(project, store, "ana", "montly_signups")
    with store.session() as s:  # a KPI since removed from the definitions can still be unfollowed
        assert stored.follow(s, "ana", "retired_kpi")
    assert not follows.unfollow(project, store, "ana", "retired_kpi").following
    assert _rows(store) == []


def test_two_follows_at_once_make_one_row(project: Project, store: Store, store_url: str) -> None:
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def follow_once() -> None:
        with Store(store_url) as own:  # each thread its own store, as two server processes would
            try:
                barrier.wait()
                follows.follow(project, own, "cy", "weekly_signups")
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

    threads = [threading.Thread(target=follow_once) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Follow)) == 1


def test_my_kpis_lists_the_kpis_owned_and_followed(project: Project, store: Store) -> None:
    assert owner_names(project, "ana") == ["ana", "Ana Ruiz", "ana@team.example"]
    follows.follow(project, store, "ana", "monthly_signups")
    mine = my_kpis(project, store, "ana", today=DAY)
    # priority (all 3, the default), then label: "reviewed_lately", "Signups this month", "Signups this quarter"
    assert [(k.kpi, k.owned, k.followed) for k in mine.kpis] == [
        ("reviewed_lately", True, False),
        ("weekly_signups", True, False),
        ("monthly_signups", False, True),
    ]
    weekly = mine.kpis[1]
    (row,) = weekly.rows
    assert (row.status, row.actual, row.target) == ("on_track", 190.0, 300.0)
    assert row.reason and "103% of the linear pace" in row.reason  # 190 / (300 x 19/31) = 1.033
    assert [(r.kpi, r.due) for r in weekly.reviews] == [("weekly_signups", dt.date(2026, 3, 17))]
    # due by 2026-03-20: weekly_signups (since 03-17) and monthly_signups (never reviewed), the most overdue first
    assert [(r.kpi, r.due) for r in mine.reviews_due] == [
        ("monthly_signups", None),
        ("weekly_signups", dt.date(2026, 3, 17)),
    ]
    assert [a.rule for a in mine.kpis[2].alerts] == []  # not evaluated yet
    alerts.evaluate_alerts(project, store)
    again = my_kpis(project, store, "ana", today=DAY)
    assert [(a.rule, a.state) for a in again.kpis[2].alerts] == [("quarter_short", "firing")]  # 190 < 1000
    assert again.firing == 1
    bo = my_kpis(project, store, "bo", today=DAY)
    assert (bo.kpis, bo.reviews_due, bo.firing) == ([], [], 0)


def test_a_follower_hears_the_kpis_alerts(project: Project, store: Store) -> None:
    follows.follow(project, store, "ana", "monthly_signups")
    follows.follow(project, store, "cy", "monthly_signups")  # no email: skipped
    follows.follow(project, store, "bo", "weekly_signups")  # another KPI: not told
    run = alerts.evaluate_alerts(project, store)
    assert (run.transitions, run.messages, run.errors) == (1, 2, {})
    with store.session(readonly=True) as s:
        sent = sorted((m.channel, m.recipient or "", m.origin) for m in s.scalars(select(OutboxMessage)))
    assert sent == [
        ("mail", "ana@team.example", "alert:quarter_short"),
        ("team_chat", "", "alert:quarter_short"),
    ]
    # still firing: the next evaluation queues nothing new, for the follower either
    assert alerts.evaluate_alerts(project, store).messages == 0


def test_a_disabled_follower_hears_nothing_more(project: Project, store: Store) -> None:
    """Someone who left (their login disabled) gets no KPI data by email, whatever they followed."""
    from onpace.services import auth

    follows.follow(project, store, "ana", "monthly_signups")
    auth.update_user(store, "ana", actor="admin", disabled=True)
    run = alerts.evaluate_alerts(project, store)
    assert run.messages == 1  # the rule's own channel only
    with store.session(readonly=True) as s:
        assert [(m.channel, m.recipient) for m in s.scalars(select(OutboxMessage))] == [("team_chat", None)]
