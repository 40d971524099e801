"""What cached scorecards and KPI pages are keyed by: the newest evaluation's id and the last run
(``board.newest``, one statement), checked against hand-written SQL on the store's own file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from onpace.services import board
from onpace.store import evaluations, runs
from onpace.store.db import Store


def _by_hand(path: Path) -> tuple[int, tuple[int, str] | None]:
    with sqlite3.connect(path) as db:
        (newest,) = db.execute("SELECT coalesce(max(id), 0) FROM kpi_evaluations").fetchone()
        last = db.execute("SELECT id, status FROM refresh_runs ORDER BY started_at DESC, id DESC LIMIT 1").fetchone()
    return newest, (last[0], last[1]) if last else None


def _shown(store: Store) -> tuple[int, tuple[int, str] | None]:
    newest, last = board.newest(store)
    return newest, (last.id, last.status) if last else None


def _evaluate(store: Store, kpi: str) -> None:
    with store.session() as s:
        evaluations.add_evaluation(
            s,
            kpi=kpi,
            as_of=dt.date(2026, 3, 31),
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 3, 31),
            status="on_track",
            actual=10.0,
        )


def test_newest_follows_every_evaluation_and_run(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = Store.open(f"sqlite:///{path.as_posix()}")
    try:
        assert _shown(store) == (0, None) == _by_hand(path)  # nothing evaluated, no run

        with store.session() as s:
            first = runs.start_run(s, "full", "alice", pid=1)
        assert _shown(store) == (0, (first, "running")) == _by_hand(path)  # a run, nothing evaluated yet

        _evaluate(store, "sales")
        _evaluate(store, "margin")
        with store.session() as s:
            runs.finish_run(s, first, "partial", metrics_total=3, metrics_failed=1, errors={"margin": "no data"})
            second = runs.start_run(s, "incremental", "bob", pid=1)
        assert _shown(store) == (2, (second, "running")) == _by_hand(path)

        # the run that started last wins, whatever its id (a clock set back, a run recorded late)
        with sqlite3.connect(path) as db:
            db.execute("UPDATE refresh_runs SET started_at = '2001-01-01 00:00:00.000000' WHERE id = ?", (second,))
        newest, last = board.newest(store)
        assert (newest, (last.id, last.status) if last else None) == (2, (first, "partial")) == _by_hand(path)
        assert last is not None and last.errors == {"margin": "no data"} and last.metrics_failed == 1
        assert last.requested_by == "alice" and last.finished_at is not None
    finally:
        store.close()
