"""The outbox delivered through real channels on loopback: retries, dead letters, the file channel."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.services import delivery
from onpace.store import Store, outbox
from onpace.store.models import OutboxAttempt

from .receivers import HttpReceiver, write_project

T0 = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)


def _queue(store: Store, channel: str = "hook", key: str = "alert:revenue:firing:1", **extra: object) -> int:
    with store.session() as s:
        found = outbox.enqueue(
            s,
            channel=channel,
            to=extra.get("to"),  # type: ignore[arg-type]
            subject="Revenue is off track",
            text="Revenue to date is 812 against 1,000 expected.",
            payload={"status": "off_track", "facts": {"Actual": "812", "Expected": "1,000"}, "url": "/kpis/revenue"},
            key=key,
            origin="alert:revenue",
        )
    assert found is not None
    return found


def _attempts(store: Store, message_id: int) -> list[tuple[int, str]]:
    with store.session(readonly=True) as s:
        rows = s.query(OutboxAttempt).filter_by(message_id=message_id).order_by(OutboxAttempt.number).all()
        return [(a.number, a.outcome) for a in rows]


def test_fails_twice_then_succeeds_is_one_delivery_after_three_tries(
    tmp_path: Path, sqlite_store: Store, receiver: HttpReceiver
) -> None:
    receiver.answers = [500, 503]
    write_project(
        tmp_path,
        "  hook:\n    type: webhook\n    url_env: HOOK_URL\n    secret_env: HOOK_SECRET\n",
        "  retry_seconds: 60\n  max_retry_seconds: 600\n",
    )
    project = load_project(tmp_path, env={"HOOK_URL": receiver.url + "/in", "HOOK_SECRET": "s3cret"})
    message_id = _queue(sqlite_store)

    first = delivery.deliver_due(project, sqlite_store, now=T0)
    assert (first.claimed, first.delivered, first.failed) == (1, 0, 1)
    assert "HTTP 500" in first.errors[0]
    # not due again before its backoff: 60 s less up to 25 % jitter, so at least 45 s
    assert delivery.deliver_due(project, sqlite_store, now=T0 + dt.timedelta(seconds=44)).claimed == 0
    second = delivery.deliver_due(project, sqlite_store, now=T0 + dt.timedelta(seconds=61))
    assert (second.claimed, second.failed) == (1, 1)
    # the second wait is 120 s less up to 25 %
    assert delivery.deliver_due(project, sqlite_store, now=T0 + dt.timedelta(seconds=61 + 89)).claimed == 0
    third = delivery.deliver_due(project, sqlite_store, now=T0 + dt.timedelta(seconds=61 + 121))
    assert (third.claimed, third.delivered) == (1, 1)
    # delivered is final: nothing is sent again, however late
    assert delivery.deliver_due(project, sqlite_store, now=T0 + dt.timedelta(days=30)).claimed == 0

    assert len(receiver.received) == 3
    assert set(receiver.keys()) == {"alert:revenue:firing:1"}
    assert _attempts(sqlite_store, message_id) == [(1, "failed"), (2, "failed"), (3, "delivered")]
    [view] = delivery.list_outbox(sqlite_store, with_tries=True)
    assert (view.status, view.attempts, view.last_error) == ("delivered", 3, None)
    assert view.delivered_at == T0 + dt.timedelta(seconds=61 + 121)
    assert [t.outcome for t in view.tries] == ["failed", "failed", "delivered"]


def test_webhook_body_and_signature(tmp_path: Path, sqlite_store: Store, receiver: HttpReceiver) -> None:
    write_project(
        tmp_path,
        "  hook:\n    type: webhook\n    url_env: HOOK_URL\n    secret_env: HOOK_SECRET\n",
        "  app_url: https://onpace.example.com/\n",
    )
    project = load_project(tmp_path, env={"HOOK_URL": receiver.url + "/onpace", "HOOK_SECRET": "s3cret"})
    _queue(sqlite_store)
    assert delivery.deliver_due(project, sqlite_store, now=T0).delivered == 1

    [got] = receiver.received
    assert got.path == "/onpace"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Idempotency-Key"] == "alert:revenue:firing:1"
    expected = "sha256=" + hmac.new(b"s3cret", got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["X-Onpace-Signature"], expected)
    body = json.loads(got.body)
    assert body["subject"] == "Revenue is off track"
    assert body["text"] == "Revenue to date is 812 against 1,000 expected."
    assert body["status"] == "off_track"
    assert body["url"] == "https://onpace.example.com/kpis/revenue"
    assert body["payload"]["facts"] == {"Actual": "812", "Expected": "1,000"}
    assert (body["key"], body["channel"], body["origin"]) == ("alert:revenue:firing:1", "hook", "alert:revenue")


def test_a_webhook_without_https_is_refused_in_production(
    tmp_path: Path, sqlite_store: Store, receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONPACE_ENVIRONMENT", "production")
    write_project(tmp_path, f"  hook:\n    type: webhook\n    url: {receiver.url}/x\n")
    project = load_project(tmp_path, env={})
    _queue(sqlite_store)
    run = delivery.deliver_due(project, sqlite_store, now=T0)
    assert run.failed == 1
    assert "must be https:// outside development" in run.errors[0]
    assert receiver.received == []


def test_dead_after_max_attempts_queues_one_admin_message(tmp_path: Path, sqlite_store: Store) -> None:
    write_project(
        tmp_path,
        "  hook:\n    type: webhook\n    url: http://127.0.0.1:9/nobody-listens\n"
        "  admins_folder:\n    type: file\n    folder: outbox/admins\n",
        "  max_attempts: 3\n  retry_seconds: 10\n  admins: [channel:admins_folder]\n  timeout_seconds: 2\n"
        "  lease_seconds: 30\n",
    )
    project = load_project(tmp_path, env={})
    message_id = _queue(sqlite_store)
    later = T0
    runs = []
    for _ in range(3):
        runs.append(delivery.deliver_due(project, sqlite_store, now=later))
        later += dt.timedelta(hours=1)
    assert [(r.failed, r.dead) for r in runs[:2]] == [(1, 0), (1, 0)]
    # the third run: the message dies, and the admin message it queued is delivered in the same run? no:
    # it was queued after the run listed what was due, so it goes on the next run
    assert (runs[2].dead, runs[2].admin_alerts) == (1, 1)
    assert _attempts(sqlite_store, message_id) == [(1, "failed"), (2, "failed"), (3, "failed")]

    after = delivery.deliver_due(project, sqlite_store, now=later)
    assert (after.claimed, after.delivered) == (1, 1)  # only the admin message: the dead one stays dead
    assert delivery.deliver_due(project, sqlite_store, now=later + dt.timedelta(days=1)).claimed == 0
    files = sorted((tmp_path / "outbox" / "admins").iterdir())
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    assert "could not deliver a message through 'hook' after 3 tries" in text
    assert f"onpace outbox retry {message_id}" in text

    health = delivery.delivery_health(sqlite_store)
    assert (health.dead, health.delivered, health.queued, health.failing) == (1, 1, 0, 0)
    assert len(health.recent_errors) == 3 and health.recent_errors[0].message_id == message_id

    # a retry by an admin makes it due again; dying again queues no second admin message
    delivery.retry(sqlite_store, message_id, by="admin", now=later)
    again = delivery.deliver_due(project, sqlite_store, now=later)
    assert (again.dead, again.admin_alerts) == (1, 0)
    assert len(list((tmp_path / "outbox" / "admins").iterdir())) == 1


def test_the_file_channel_writes_one_file_per_message(tmp_path: Path, sqlite_store: Store) -> None:
    write_project(tmp_path, "  inbox:\n    type: file\n    folder: outbox\n")
    project = load_project(tmp_path, env={})
    _queue(sqlite_store, channel="inbox")
    assert delivery.deliver_due(project, sqlite_store, now=T0).delivered == 1
    [written] = list((tmp_path / "outbox").iterdir())
    text = written.read_text(encoding="utf-8")
    assert text.startswith("Subject: Revenue is off track\n")
    assert "Revenue to date is 812 against 1,000 expected." in text
    assert "Actual: 812\nExpected: 1,000\n" in text
    assert "Key: alert:revenue:firing:1" in text
    assert text.rstrip().endswith("Link: /kpis/revenue")  # no app_url: the link as the message has it


def test_the_file_channel_links_to_the_app_url(tmp_path: Path, sqlite_store: Store) -> None:
    """``notifications.app_url`` made the Slack, Teams and webhook links absolute, not the file channel's
    (its messages said ``Link: /kpis/revenue``)."""
    write_project(
        tmp_path, "  inbox:\n    type: file\n    folder: outbox\n", "  app_url: https://onpace.example.com/\n"
    )
    project = load_project(tmp_path, env={})
    _queue(sqlite_store, channel="inbox")
    assert delivery.deliver_due(project, sqlite_store, now=T0).delivered == 1
    [written] = list((tmp_path / "outbox").iterdir())
    assert written.read_text(encoding="utf-8").rstrip().endswith("Link: https://onpace.example.com/kpis/revenue")


def test_enqueue_twice_with_one_key_queues_once_in_the_same_transaction(sqlite_store: Store) -> None:
    with sqlite_store.session() as s:
        first = outbox.enqueue(s, channel="c", to=None, subject="a", text="b", key="k1", origin="alert:x")
        second = outbox.enqueue(s, channel="c", to=None, subject="other", text="other", key="k1", origin="alert:x")
        third = outbox.enqueue(s, channel="c", to=None, subject="a", text="b", key="k2", origin="alert:x")
    assert isinstance(first, int) and second is None and isinstance(third, int) and third != first
    assert [m.subject for m in delivery.list_outbox(sqlite_store)] == ["a", "a"]


def test_enqueue_rolls_back_with_its_transaction(sqlite_store: Store) -> None:
    with pytest.raises(RuntimeError), sqlite_store.session() as s:
        outbox.enqueue(s, channel="c", to=None, subject="a", text="b", key="k1", origin="alert:x")
        raise RuntimeError("the transition failed")
    assert delivery.list_outbox(sqlite_store) == []


def test_a_message_to_an_unknown_channel_fails_and_says_so(tmp_path: Path, sqlite_store: Store) -> None:
    write_project(tmp_path, "  inbox:\n    type: file\n    folder: outbox\n")
    project = load_project(tmp_path, env={})
    _queue(sqlite_store, channel="gone")
    run = delivery.deliver_due(project, sqlite_store, now=T0)
    assert run.failed == 1
    assert run.errors == ["message 1 (gone): no channel 'gone' in onpace.yml (channels: inbox)"]


def test_retry_refuses_a_delivered_message(tmp_path: Path, sqlite_store: Store) -> None:
    from onpace.errors import ConflictError

    write_project(tmp_path, "  inbox:\n    type: file\n    folder: outbox\n")
    project = load_project(tmp_path, env={})
    message_id = _queue(sqlite_store, channel="inbox")
    delivery.deliver_due(project, sqlite_store, now=T0)
    with pytest.raises(ConflictError, match="never sent again"):
        delivery.retry(sqlite_store, message_id, by="admin")


def test_backoff_doubles_is_capped_and_jittered() -> None:
    import random

    rng = random.Random(7)
    waits = [delivery.backoff(n, base=30, cap=300, rng=rng).total_seconds() for n in range(1, 8)]
    for n, wait in enumerate(waits, start=1):
        full = min(300, 30 * 2 ** (n - 1))
        assert 0.75 * full <= wait <= full
    assert waits[-1] <= 300
