"""An incremental refresh of a conversion metric reopens the periods whose window a new row can reach.

A purchase on day X counts for a visit up to the window before X: periods the lookback alone
would leave stored (the last day with data minus ``lookback_days``) change with it. Data
(DuckDB): visits and buys of two users; expected values by hand.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import duckdb

from onpace.catalog.project import load_project
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store

D = dt.date


def _project(root: Path, window: str) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "onpace.yml").write_text(
        "name: funnel\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\nrefresh: {lookback_days: 0}\n"
    )
    (root / "models" / "funnel.yml").write_text(
        textwrap.dedent(
            f"""
            datasets:
              - name: visits
                table: visits
                time: day
                keys: [{{name: user, column: user_id}}]
                dimensions: [{{name: day, type: time}}]
                measures: [{{name: visits, agg: count}}]
              - name: buys
                table: buys
                time: buy_day
                keys: [{{name: user, column: user_id}}]
                dimensions: [{{name: buy_day, column: day, type: time}}]
                measures: [{{name: buys, agg: count}}]
            metrics:
              - {{name: visits, measure: visits.visits, default_grain: day}}
              - {{name: buys, measure: buys.buys, default_grain: day}}
              - name: converted
                type: conversion
                base: visits
                conversion: buys
                entity: user
                {window}
                calculation: conversions
                default_grain: day
            """
        ),
        encoding="utf-8",
    )
    con = duckdb.connect(str(root / "data.duckdb"))
    con.execute("create table visits (user_id varchar, day date)")
    con.execute("create table buys (user_id varchar, day date)")
    con.execute("insert into visits values ('u1', date '2024-01-08'), ('u2', date '2024-01-10')")
    con.execute("insert into buys values ('u2', date '2024-01-12')")
    con.close()
    return root


def _converted(store: Store) -> dict[dt.date, float | None]:
    with store.session(readonly=True) as s:
        return {day: value for day, value in obs.read_series(s, "converted", "day", "") if value}


def _buy(root: Path, user: str, day: dt.date) -> None:
    con = duckdb.connect(str(root / "data.duckdb"))
    con.execute("insert into buys values (?, ?)", [user, day])
    con.close()


def test_a_new_buy_reopens_the_visit_days_of_its_window(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "window: 7 days")
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    refresh(load_project(root), store, requested_by="test", evaluate=False)
    assert _converted(store) == {D(2024, 1, 10): 1.0}  # u2's buy of Jan 12
    # the last day with data is Jan 12 and the lookback 0 days: u1's buy of Jan 14 counts for
    # the visit of Jan 8, which only the window (7 days) brings back into the refresh
    _buy(root, "u1", D(2024, 1, 14))
    refresh(load_project(root), store, requested_by="test", evaluate=False)
    assert _converted(store) == {D(2024, 1, 8): 1.0, D(2024, 1, 10): 1.0}


def test_without_a_window_the_whole_series_is_recomputed(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "")
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    refresh(load_project(root), store, requested_by="test", evaluate=False)
    _buy(root, "u1", D(2024, 3, 1))  # 53 days after u1's visit
    refresh(load_project(root), store, requested_by="test", evaluate=False)
    assert _converted(store) == {D(2024, 1, 8): 1.0, D(2024, 1, 10): 1.0}
