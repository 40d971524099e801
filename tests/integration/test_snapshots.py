"""The SQL the engine generates for a few representative queries, per dialect.

Each query's SQL is compared with ``tests/snapshots/<name>/<dialect>.sql``. A
change to the generated SQL fails here until it is reviewed and the files are
regenerated with ``ONPACE_UPDATE_SNAPSHOTS=1 pytest tests/integration/test_snapshots.py``
(the diff then shows in the review).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from pathlib import Path

import pytest

from onpace.engine import Query

from .conftest import EngineFactory

SNAPSHOTS_DIR = Path(__file__).parent.parent / "snapshots"
UPDATE = os.environ.get("ONPACE_UPDATE_SNAPSHOTS", "").strip() == "1"
DIALECTS = ("duckdb", "postgres", "mysql")

# name -> (project, query): one query per kind of plan
QUERIES: dict[str, tuple[str, Query]] = {
    "simple_by_month": (
        "main",
        Query(metrics=["orders", "order_amount"], grain="month", start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31)),
    ),
    "filtered_by_dimension_two_joins_away": (
        "main",
        Query(
            metrics=["revenue", "completed_amount"],
            dimensions=["region"],
            grain="quarter",
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 12, 31),
            where="segment = 'smb'",
        ),
    ),
    "percentiles_by_segment": (
        "main",
        Query(
            metrics=["median_order_amount", "p90_order_amount"],
            dimensions=["segment"],
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 12, 31),
        ),
    ),
    "ratio_of_two_datasets_by_month": (
        "main",
        Query(metrics=["revenue_per_order"], grain="month", start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30)),
    ),
    "derived_offsets_by_month": (
        "main",
        Query(
            metrics=["revenue_change", "revenue_yoy_growth"],
            grain="month",
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 12, 31),
        ),
    ),
    "cumulative_by_month": (
        "main",
        Query(
            metrics=["revenue_7d", "revenue_mtd", "revenue_running"],
            grain="month",
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 6, 30),
        ),
    ),
    "semi_additive_by_warehouse": (
        "main",
        Query(
            metrics=["stock", "average_stock"],
            dimensions=["warehouse"],
            grain="month",
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 6, 30),
        ),
    ),
    # each warehouse's own snapshots: a window per entity (last/first), a null-safe join (avg)
    "semi_additive_per_warehouse": (
        "main",
        Query(
            metrics=["warehouse_stock", "warehouse_opening_stock", "warehouse_average_stock"],
            grain="quarter",
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 6, 30),
        ),
    ),
    # a window in months (the daily series joined to each period's window days) and running
    # distinct counts (the rows joined to the windows), one with its own filter, by a dimension
    "cumulative_months_and_distinct_by_region": (
        "main",
        Query(
            metrics=["revenue_3m", "buyers_running", "completed_buyers_running"],
            dimensions=["region"],
            grain="quarter",
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 12, 31),
        ),
    ),
    # a dataset defined by SQL and text compared exactly; avg and round() the same on every engine
    "text_avg_and_round_by_tag": (
        "main",
        Query(
            metrics=["tagged_orders", "tag_values", "like_completed"],
            dimensions=["tag"],
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 3, 31),
        ),
    ),
    "avg_and_round_by_product": (
        "main",
        Query(
            metrics=["avg_units", "rounded_discount", "rounded_line_value"],
            dimensions=["product"],
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 3, 31),
        ),
    ),
    "sunday_weeks_and_fiscal_year_to_date": (
        "fiscal",
        Query(
            metrics=["orders", "order_amount_fytd"], grain="week", start=dt.date(2024, 3, 3), end=dt.date(2024, 4, 28)
        ),
    ),
}


@pytest.mark.parametrize(
    "dialect",
    [
        "duckdb",
        pytest.param("postgres", marks=pytest.mark.postgres),
        # MariaDB has paths of its own (text compared in a binary collation, percentiles from ranks)
        pytest.param("mysql", marks=pytest.mark.mysql),
    ],
)
@pytest.mark.parametrize("name", list(QUERIES))
def test_generated_sql(name: str, dialect: str, engines: EngineFactory, request: pytest.FixtureRequest) -> None:
    project, query = QUERIES[name]
    sql = engines(project, dialect, request).sql(query).rstrip() + "\n"
    path = SNAPSHOTS_DIR / name / f"{dialect}.sql"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(
            f"no snapshot {path.relative_to(SNAPSHOTS_DIR.parent)}: run with ONPACE_UPDATE_SNAPSHOTS=1 to write it",
            pytrace=False,
        )
    want = path.read_text(encoding="utf-8")
    if sql != want:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True),
                sql.splitlines(keepends=True),
                fromfile=f"{path.name} (snapshot)",
                tofile=f"{path.name} (generated)",
            )
        )
        pytest.fail(
            f"the {dialect} SQL of '{name}' changed (ONPACE_UPDATE_SNAPSHOTS=1 rewrites it):\n{diff}", pytrace=False
        )


def test_every_snapshot_has_a_query() -> None:
    """A snapshot folder whose query was removed or renamed is stale: delete it."""
    stale = sorted(p.name for p in SNAPSHOTS_DIR.iterdir() if p.is_dir() and p.name not in QUERIES)
    stale += sorted(f"{p.parent.name}/{p.name}" for p in SNAPSHOTS_DIR.glob("*/*.sql") if p.stem not in DIALECTS)
    assert not stale, f"snapshots without a query in test_snapshots.py: {stale}"
