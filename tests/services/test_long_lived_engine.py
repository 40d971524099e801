"""A long-lived engine (the scheduler's warm process, the web app's) sees data that arrived since.

Regression: ``Engine.bounds()`` kept a time dimension's dates for the engine's life, so a second
refresh in the same process never saw a new day of a PostgreSQL source (the incremental refresh
stored nothing new, with no error), and on a DuckDB file the bounds were read before the released
file was reopened.
"""

from __future__ import annotations

import datetime as dt
import secrets
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine
from onpace.engine import engine as engine_module
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store

FIRST = dt.date(2026, 3, 1)
LAST = dt.date(2026, 3, 10)
NEW_DAY = dt.date(2026, 3, 11)


@pytest.fixture
def pg_table(pg_url: str) -> Iterator[str]:
    import psycopg

    table = f"onpace_warm_{secrets.token_hex(4)}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (day DATE, amount NUMERIC(12,2))")
        with conn.cursor() as cur:
            days = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
            cur.executemany(f"INSERT INTO {table} VALUES (%s, %s)", [(d, 10) for d in days])
    try:
        yield table
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {table}")


def _project(root: Path, url: str, table: str) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "onpace.yml").write_text(f'name: warm\nsources:\n  warehouse: {{url: "{url}"}}\n', encoding="utf-8")
    (root / "models" / "sales.yml").write_text(
        textwrap.dedent(
            f"""
            datasets:
              - name: sales
                table: {table}
                time: day
                dimensions: [{{name: day, column: day, type: time}}]
                measures: [{{name: sales, agg: sum, expr: amount}}]
            metrics:
              - {{name: sales, measure: sales, default_grain: day}}
            """
        ),
        encoding="utf-8",
    )
    return root


def test_a_second_refresh_in_the_same_process_sees_the_new_day(
    pg_url: str, pg_table: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    project = load_project(_project(tmp_path / "warm", pg_url, pg_table))
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    engine = Engine(project)
    try:
        refresh(project, store, engine=engine, requested_by="test", evaluate=False)
        assert engine.bounds("day") == (FIRST, LAST)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"INSERT INTO {pg_table} VALUES (%s, %s)", (NEW_DAY, 7))

        refresh(project, store, engine=engine, requested_by="test", evaluate=False)
        with store.session() as s:
            stored = dict(obs.read_series(s, "sales", "day"))
        assert stored[NEW_DAY] == 7.0  # by hand: the one row inserted on the new day
        assert stored[LAST] == 10.0

        # outside a refresh, the bounds a long-lived engine learnt expire after BOUNDS_SECONDS
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"INSERT INTO {pg_table} VALUES (%s, %s)", (NEW_DAY + dt.timedelta(days=1), 1))
        assert engine.bounds("day") == (FIRST, NEW_DAY)  # still trusted: learnt a moment ago
        monkeypatch.setattr(engine_module, "BOUNDS_SECONDS", 0.0)
        assert engine.bounds("day") == (FIRST, NEW_DAY + dt.timedelta(days=1))
    finally:
        engine.close()
        store.close()
