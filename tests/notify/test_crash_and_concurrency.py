"""A deliverer killed mid-send, and deliverers that race: each message reaches its receiver as it should.

- SIGKILL while the receiver holds the request open: after a restart the message is sent again
  with the same idempotency key, recorded delivered, and never sent a third time.
- Two deliverers at once (threads with their own connections, on SQLite and on PostgreSQL): every
  message is delivered exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.services import delivery
from onpace.store import Store, outbox

from .conftest import new_sqlite_store
from .receivers import HttpReceiver, write_project

SCRIPT = Path(__file__).with_name("deliver_once.py")
ROOT = Path(__file__).resolve().parents[2]


def _run_deliverer(tmp_path: Path, url: str, hook: str, ahead: float = 0.0) -> subprocess.Popen[str]:
    env = {**os.environ, "HOOK_URL": hook, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(tmp_path), url, str(ahead)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_mid_delivery_resends_with_the_same_key_once(tmp_path: Path, receiver: HttpReceiver) -> None:
    receiver.hold = True
    write_project(
        tmp_path,
        "  hook:\n    type: webhook\n    url_env: HOOK_URL\n",
        "  lease_seconds: 6\n  timeout_seconds: 5\n",
    )
    store = new_sqlite_store(tmp_path)
    url = store.url
    with store.session() as s:
        message_id = outbox.enqueue(
            s, channel="hook", to=None, subject="s", text="t", key="alert:x:firing:7", origin="alert:x"
        )

    first = _run_deliverer(tmp_path, url, receiver.url)
    assert receiver.got_first.wait(30), first.communicate(timeout=5)
    first.send_signal(signal.SIGKILL)  # mid-delivery: the receiver has the request, no answer yet
    assert first.wait(10) == -signal.SIGKILL
    first.communicate(timeout=10)  # closes its pipes
    receiver.release.set()

    [view] = delivery.list_outbox(store, with_tries=True)
    assert (view.status, view.attempts, [t.outcome for t in view.tries]) == ("sending", 1, ["sending"])

    # restarted before the lease ran out: the message is not taken (the first might still be sending)
    early = _run_deliverer(tmp_path, url, receiver.url)
    out, _ = early.communicate(timeout=60)
    assert json.loads(out)["claimed"] == 0
    # restarted after it: sent again, same key, delivered
    later = _run_deliverer(tmp_path, url, receiver.url, ahead=7)
    out, err = later.communicate(timeout=60)
    assert later.returncode == 0, err
    assert json.loads(out)["delivered"] == 1 and json.loads(out)["taken_over"] == 1
    # and never a third time
    again = _run_deliverer(tmp_path, url, receiver.url, ahead=3600)
    out, _ = again.communicate(timeout=60)
    assert json.loads(out)["claimed"] == 0

    assert receiver.keys() == ["alert:x:firing:7", "alert:x:firing:7"]
    view = delivery.get_message(store, message_id or 0)
    assert (view.status, view.attempts) == ("delivered", 2)
    assert [t.outcome for t in view.tries] == ["interrupted", "delivered"]
    store.close()


def _race(project_root: Path, urls: list[str], hook: str, messages: int) -> None:
    """Queue ``messages`` messages, then let one deliverer per URL deliver them at once."""
    project = load_project(project_root, env={"HOOK_URL": hook})
    stores = [Store(u) for u in urls]
    try:
        with stores[0].session() as s:
            for i in range(messages):
                outbox.enqueue(s, channel="hook", to=None, subject=f"m{i}", text="t", key=f"k{i}", origin="test")
        start = threading.Barrier(len(stores))
        failures: list[BaseException] = []

        def work(store: Store, name: str) -> None:
            try:
                start.wait()
                while delivery.deliver_due(project, store, limit=5, worker=name).claimed:
                    pass
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(s, f"w{i}")) for i, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not failures, failures
        views = delivery.list_outbox(stores[0], limit=1000, with_tries=True)
        assert {v.status for v in views} == {"delivered"} and {v.attempts for v in views} == {1}
        assert len({v.tries[0].worker for v in views}) == len(stores)  # they really raced: each delivered some
    finally:
        for store in stores:
            store.close()


def test_two_deliverers_on_sqlite_deliver_each_message_once(tmp_path: Path, receiver: HttpReceiver) -> None:
    receiver.delay = 0.005
    write_project(tmp_path, "  hook:\n    type: webhook\n    url_env: HOOK_URL\n")
    url = new_sqlite_store(tmp_path).url
    _race(tmp_path, [url, url], receiver.url, 60)
    counts = Counter(receiver.keys())
    assert len(counts) == 60 and set(counts.values()) == {1}


@pytest.mark.postgres
def test_three_deliverers_on_postgresql_deliver_each_message_once(
    tmp_path: Path, receiver: HttpReceiver, pg_store_url: str
) -> None:
    receiver.delay = 0.005
    write_project(tmp_path, "  hook:\n    type: webhook\n    url_env: HOOK_URL\n")
    _race(tmp_path, [pg_store_url] * 3, receiver.url, 60)
    counts = Counter(receiver.keys())
    assert len(counts) == 60 and set(counts.values()) == {1}


def test_claim_is_exclusive_when_two_ask_at_once(tmp_path: Path) -> None:
    """The compare-and-set itself: of two claims of one message at the same instant, one wins."""
    store = new_sqlite_store(tmp_path)
    with store.session() as s:
        message_id = outbox.enqueue(s, channel="c", to=None, subject="s", text="t", key="k", origin="test")
    assert message_id is not None
    now = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)
    lease = dt.timedelta(seconds=60)
    with store.session() as s:
        assert outbox.claim(s, message_id, worker="a", now=now, lease=lease) is not None
    with store.session() as s:
        assert outbox.claim(s, message_id, worker="b", now=now + dt.timedelta(seconds=59), lease=lease) is None
    with store.session() as s:
        taken = outbox.claim(s, message_id, worker="b", now=now + dt.timedelta(seconds=61), lease=lease)
    assert taken is not None and taken[1] is True  # taken over from a
    # a's late outcome does not overwrite b's claim
    with store.session() as s:
        kept = outbox.finish(s, message_id, worker="a", number=1, now=now, status="delivered")
    assert kept is False
    assert delivery.get_message(store, message_id).status == "sending"
    store.close()
