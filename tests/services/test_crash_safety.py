"""A refresh killed with SIGKILL half way leaves every series as it was or as it should be, never half written.

The shop of conftest.py is refreshed in process with data v1 and every series
is kept aside. Then every amount doubles (v2) and ``onpace refresh --full`` runs
as a subprocess; it is killed with SIGKILL while it writes, after the first
series of the run are in the store and before the last. Each series must then
hold exactly its v1 values or exactly its v2 values, all from one run. v2 is
worked out from the v1 snapshot, not by the engine: revenue (a sum of amounts)
doubles; counts, the late rate and visits do not change.

To give the kill a wide window, the test adds ``EXTRA`` copies of revenue by
day: one engine query computes them all, then each is written in its own
transaction (a few milliseconds each), back to back. The kill comes a random
0-50 ms after the run's ``KILL_AFTER``-th series is seen in the store, so it
lands anywhere in the next few transactions, not always just after a commit
(a refresh that committed a series' deletions apart from its new rows fails
this test nearly every time).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onpace.catalog.project import load_project
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store import runs
from onpace.store.db import Store
from onpace.store.models import Observation, RefreshRun, Series

from .conftest import write_data

EXTRA = 60  # copies of revenue by day (the kill window grows by ~6 ms with each)
KILL_AFTER = 8  # series written by the run before the kill: past the month group (5), into the day group
KILL_JITTER_S = 0.05  # then a random wait, so the kill does not always land just after a commit
ATTEMPTS = 3  # when the run ends before the kill, try again with twice the extra series
DEADLINE_S = 60.0  # for the subprocess to reach the point of the kill

Key = tuple[str, str, str]  # metric, grain, segment
Values = list[tuple[dt.date, float | None]]


def _extra_models(count: int) -> str:
    lines = ["metrics:"]
    lines += [f"  - {{name: revenue_{i:03d}, measure: revenue, default_grain: day}}" for i in range(count)]
    return "\n".join(lines) + "\n"


def _doubles(metric: str) -> bool:
    """Whether the metric's values double with the amounts: revenue and its copies; not counts or rates."""
    return metric == "revenue" or metric.startswith("revenue_")


def _snapshot(store: Store) -> dict[Key, Values]:
    with store.session(readonly=True) as s:
        return {
            (se.metric, se.grain, se.segment): obs.read_series(s, se.metric, se.grain, se.segment)
            for se in obs.list_series(s)
        }


def _run_ids(store: Store) -> dict[Key, set[int | None]]:
    """The runs that wrote each series' observations."""
    query = select(Series.metric, Series.grain, Series.segment, Observation.run_id).join(
        Observation, Observation.series_id == Series.id
    )
    out: dict[Key, set[int | None]] = {}
    with store.session(readonly=True) as s:
        for metric, grain, segment, run_id in s.execute(query):
            out.setdefault((metric, grain, segment), set()).add(run_id)
    return out


def _v2(key: Key, v1: Values) -> Values:
    factor = 2.0 if _doubles(key[0]) else 1.0
    return [(period, None if value is None else value * factor) for period, value in v1]


def _same(a: Values, b: Values) -> bool:
    if [p for p, _ in a] != [p for p, _ in b]:
        return False
    for (_, x), (_, y) in zip(a, b, strict=True):
        if (x is None) != (y is None):
            return False
        if x is not None and y is not None and not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


def _distinct(key: Key, v1: Values) -> bool:
    """Whether v1 and v2 of the series can be told apart (revenue with some non-zero value)."""
    return not _same(v1, _v2(key, v1))


def _command(root: Path) -> list[str]:
    script = Path(sys.executable).with_name("onpace")
    base = [str(script)] if script.is_file() else [sys.executable, "-c", "from onpace.cli.main import app; app()"]
    return [*base, "refresh", "--full", "--project", str(root)]


def _written_by(store: Store, after: int) -> tuple[RefreshRun | None, int]:
    """The newest run started after run ``after`` (None yet), and how many series it has written."""
    with store.session(readonly=True) as s:
        run = s.scalars(select(RefreshRun).where(RefreshRun.id > after).order_by(RefreshRun.id.desc())).first()
        if run is None:
            return None, 0
        count = s.scalar(select(func.count()).select_from(Series).where(Series.last_run_id == run.id))
    return run, int(count or 0)


def _kill_mid_run(root: Path, url: str, store: Store, first_run: int, log: Path) -> tuple[int, int]:
    """Start ``onpace refresh --full`` and SIGKILL it after it wrote ``KILL_AFTER`` series.

    Returns (the killed run's id, series it had written when seen last); (-1, 0) when the
    run ended before it could be killed.
    """
    env = {**os.environ, "ONPACE_DATABASE_URL": url}
    with log.open("wb") as err:
        process = subprocess.Popen(_command(root), env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + DEADLINE_S
            while True:
                run, written = _written_by(store, first_run)
                if run is not None and run.status == "running" and written >= KILL_AFTER:
                    time.sleep(random.uniform(0.0, KILL_JITTER_S))  # anywhere in the next few transactions
                    os.kill(process.pid, signal.SIGKILL)
                    break
                if process.poll() is not None or (run is not None and run.status != "running"):
                    process.wait()
                    return -1, 0
                if time.monotonic() > deadline:
                    raise AssertionError(f"the refresh did not reach {KILL_AFTER} series in {DEADLINE_S:.0f} s")
                time.sleep(0.002)
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert code == -signal.SIGKILL, f"the refresh ended with {code}, not SIGKILL:\n{log.read_text()}"
    return run.id, written


def _states(
    v1: dict[Key, Values], now: dict[Key, Values], writers: dict[Key, set[int | None]], first: int, killed: int
) -> dict[Key, str]:
    """'v1' or 'v2' for every series; fails on one that holds a mix (of values, or of runs)."""
    assert now.keys() == v1.keys()
    state: dict[Key, str] = {}
    for key, values in now.items():
        is_v1, is_v2 = _same(values, v1[key]), _same(values, _v2(key, v1[key]))
        assert is_v1 or is_v2, f"{key} is half written: neither its v1 nor its v2 values"
        assert writers[key] in ({first}, {killed}), f"{key} holds rows of runs {writers[key]}"
        state[key] = "v2" if writers[key] == {killed} else "v1"
        assert is_v2 if state[key] == "v2" else is_v1, f"{key}: rows of run {writers[key]} with the other values"
    return state


def test_refresh_killed_mid_run_leaves_whole_series(shop: Path, tmp_path: Path) -> None:
    extra = EXTRA
    for attempt in range(1, ATTEMPTS + 1):
        url = f"sqlite:///{tmp_path / f'store-{attempt}.db'}"
        (shop / "models" / "extra.yml").write_text(_extra_models(extra), encoding="utf-8")
        write_data(shop / "data" / "warehouse.duckdb", scale=1.0)
        store = Store.open(url)
        try:
            first = refresh(load_project(shop), store, requested_by="test")
            assert first.status == "succeeded", first.errors
            v1 = _snapshot(store)
            assert len(v1) == first.series > extra and all(v1.values())
            assert sum(_distinct(key, values) for key, values in v1.items()) > extra

            write_data(shop / "data" / "warehouse.duckdb", scale=2.0)  # v2: every amount doubles
            killed, written = _kill_mid_run(shop, url, store, first.run_id, tmp_path / f"refresh-{attempt}.log")
            if killed < 0:  # the run ended before the kill: more work, not a silent pass
                extra *= 2
                continue

            state = _states(v1, _snapshot(store), _run_ids(store), first.run_id, killed)
            told_apart = [key for key in v1 if _distinct(key, v1[key])]
            assert any(state[key] == "v1" for key in told_apart), "every series was written: the kill came too late"
            assert any(state[key] == "v2" for key in told_apart)  # revenue by month is among the first written
            assert sum(value == "v2" for value in state.values()) >= written >= KILL_AFTER
            with store.session(readonly=True) as s:
                assert runs.get_run(s, killed).status == "running"  # nobody was left to record the end

            # incremental, as a scheduler would run it: it carries on the killed full refresh, so the
            # series that run never reached are recomputed in full (the whole history changed)
            again = refresh(load_project(shop), store, requested_by="test")
            assert again.status == "succeeded", again.errors
            with store.session(readonly=True) as s:
                assert runs.get_run(s, killed).status == "interrupted"
                assert runs.get_run(s, again.run_id).status == "succeeded"
            final = _snapshot(store)
            assert final.keys() == v1.keys()
            wrong = [key for key, values in final.items() if not _same(values, _v2(key, v1[key]))]
            assert not wrong, f"series without their v2 values after the next refresh: {wrong[:5]}"
            # the killed run's series were complete; the others were recomputed in full by this one
            assert set().union(*_run_ids(store).values()) <= {killed, again.run_id}
            return
        finally:
            store.close()
    pytest.fail(f"the refresh ended before it could be killed in {ATTEMPTS} attempts, up to {extra // 2} extra series")
