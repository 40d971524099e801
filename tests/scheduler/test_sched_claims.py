"""Claims in the store: of the processes that reach a tick, exactly one runs it; a dead run is taken over.

On SQLite and PostgreSQL, with real threads (each with its own connection pool) and real processes.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onpace.store import schedule as claims
from onpace.store.db import Store
from onpace.store.models import JobRun

from .conftest import Backend

T0 = dt.datetime(2026, 12, 8, 6, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=10)


@pytest.fixture
def url(sched_backend: Backend) -> str:
    url = sched_backend.new_url()
    Store.open(url).close()
    return url


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    with Store(url) as store:
        yield store


def _claim(store: Store, owner: str, tick: dt.datetime, now: dt.datetime = T0) -> int | None:
    with store.session() as s:
        return claims.claim(s, "job", tick, owner=owner, host="h", pid=1, now=now, lease=LEASE)


def test_a_tick_is_claimed_once(store: Store) -> None:
    first = _claim(store, "a", T0)
    assert first is not None
    assert _claim(store, "b", T0) is None
    assert _claim(store, "b", T0 + dt.timedelta(minutes=1)) is not None
    with store.session(readonly=True) as s:
        run = s.get(JobRun, first)
        assert run is not None
        assert (run.owner, run.status, run.attempt, run.lease_expires_at) == ("a", "running", 1, T0 + LEASE)


def test_racing_threads_one_winner_per_tick(url: str) -> None:
    ticks = [T0 + dt.timedelta(seconds=i) for i in range(10)]
    stores = [Store(url) for _ in range(6)]
    won: list[tuple[int, dt.datetime]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(stores))

    def claimer(number: int) -> None:
        for tick in ticks:
            barrier.wait()
            got = _claim(stores[number], f"thread-{number}", tick)
            if got is not None:
                with lock:
                    won.append((number, tick))

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    assert sorted(tick for _, tick in won) == ticks  # each tick won exactly once
    with Store(url) as store, store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(JobRun)) == len(ticks)


CLAIMER = """
import datetime as dt, json, os, sys, time
from onpace.store import schedule as claims
from onpace.store.db import Store
url, number, go = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = dt.datetime(2026, 12, 8, 6, 0, tzinfo=dt.UTC)
store = Store(url)
with store.session(readonly=True) as s:
    pass  # connected before the start
while not os.path.exists(go):
    time.sleep(0.01)
won = []
for i in range(8):
    with store.session() as s:
        got = claims.claim(s, "job", t0 + dt.timedelta(seconds=i), owner="p" + number, host="h", pid=os.getpid(),
                           now=t0, lease=dt.timedelta(seconds=10))
    if got is not None:
        won.append(i)
store.close()
print(json.dumps(won))
"""


def test_racing_processes_one_winner_per_tick(url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    processes = [
        subprocess.Popen([sys.executable, "-c", CLAIMER, url, str(n), str(go)], stdout=subprocess.PIPE, text=True)
        for n in range(4)
    ]
    time.sleep(1.5)  # let them import and connect
    go.touch()
    won: list[int] = []
    for p in processes:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        won += json.loads(out)
    assert sorted(won) == list(range(8))  # every tick once, no tick twice


def test_lease_takeover_after_expiry(store: Store) -> None:
    run_id = _claim(store, "dead", T0)
    assert run_id is not None
    with store.session(readonly=True) as s:
        assert claims.expired(s, T0 + dt.timedelta(seconds=9)) == []  # lease still live
        (dead,) = claims.expired(s, T0 + dt.timedelta(seconds=10))
    later = T0 + dt.timedelta(seconds=11)
    # two processes try to take it over: one succeeds
    with store.session() as s:
        assert claims.take_over(s, dead, owner="b", host="h", pid=2, now=later, lease=LEASE)
    with store.session() as s:
        assert not claims.take_over(s, dead, owner="c", host="h", pid=3, now=later, lease=LEASE)
    with store.session(readonly=True) as s:
        run = s.get(JobRun, run_id)
        assert run is not None
        assert (run.owner, run.attempt, run.status, run.lease_expires_at) == ("b", 2, "running", later + LEASE)
        assert "attempt 1 by dead stopped" in run.details["taken_over"][0]  # type: ignore[index]
    with store.session() as s:  # the dead owner comes back: it no longer holds the claim
        assert claims.renew(s, [run_id], owner="dead", until=later + LEASE) == set()
        assert not claims.finish(s, run_id, owner="dead", status="succeeded", now=later)
        assert claims.renew(s, [run_id], owner="b", until=later + 2 * LEASE) == {run_id}
        assert claims.finish(s, run_id, owner="b", status="succeeded", now=later, rows=7)
    with store.session(readonly=True) as s:
        run = s.get(JobRun, run_id)
        assert run is not None
        assert (run.status, run.rows, run.finished_at) == ("succeeded", 7, later)
        assert claims.expired(s, later + dt.timedelta(hours=1)) == []  # finished: nothing to take over


def test_released_claim_can_be_taken_at_once(store: Store) -> None:
    run_id = _claim(store, "a", T0)
    assert run_id is not None
    now = T0 + dt.timedelta(seconds=1)
    with store.session() as s:
        assert claims.finish(s, run_id, owner="a", status="interrupted", now=now, error="stopped")
    with store.session(readonly=True) as s:
        (released,) = claims.expired(s, now)
    with store.session() as s:
        assert claims.take_over(s, released, owner="b", host="h", pid=2, now=now, lease=LEASE)
