"""Every library entry, computed by onpace on the demo data, against hand-written SQL.

All entries are added at once to one project (which also shows that their names never
collide), each main metric is computed by month, and compared with a query written
here from the entry's description and the table contract (docs/demo-data.md),
not from its template: every month of the data, relative tolerance 1e-9.

Each reference returns (month, value) for the months that have rows; the test puts
them on the engine's default range (from the month of the first row to the month of
the last one, over the tables the entry reads, see docs/engine-contract.md), where a
sum or count is 0 and anything else null when a month has no rows.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.engine.check import check_sources
from onpace.library.entries import load_library
from onpace.library.scaffold import add_entries

REL = 1e-9


@dataclass(frozen=True)
class Ref:
    sql: str  # returns (month, value), one row per month with data
    spans: tuple[str, ...]  # "table.column" dates whose range gives the months
    additive: bool = False  # a sum or count: 0 in a month without rows


MONTH = "CAST(date_trunc('month', {}) AS DATE)"


def by_month(column: str) -> str:
    return MONTH.format(column)


# Net revenue of the orders that were not cancelled, by order month (several entries use it).
REVENUE = f"""
    SELECT {by_month("order_date")} AS month, SUM(subtotal - discount) AS revenue
    FROM orders WHERE status <> 'cancelled' GROUP BY 1
"""
# Order lines of orders that were not cancelled, by order month.
LINES = f"""
    SELECT {by_month("o.order_date")} AS month, SUM(i.revenue) AS revenue, SUM(i.cost) AS cost
    FROM order_items AS i JOIN orders AS o ON o.order_id = i.order_id
    WHERE o.status <> 'cancelled' GROUP BY 1
"""
SPEND = f"SELECT {by_month('date')} AS month, SUM(spend) AS spend FROM marketing_spend GROUP BY 1"
# Average headcount of a month: (start + end) / 2, over departments and locations.
AVG_HEADCOUNT = f"""
    SELECT {by_month("month")} AS month, SUM(headcount_start + headcount_end) / 2.0 AS avg_headcount
    FROM headcount_monthly GROUP BY 1
"""
CLUB = f"""
    SELECT {by_month("month")} AS month,
           SUM(mrr) AS mrr,
           COUNT(*) FILTER (WHERE active_at_end) AS members,
           COUNT(*) FILTER (WHERE active_at_start AND cancelled) AS churned,
           COUNT(*) FILTER (WHERE active_at_start) AS at_start
    FROM club_member_months GROUP BY 1
"""

ORDERS = ("orders.order_date",)
TRAFFIC = ("web_traffic_daily.date",)
ADS = ("marketing_spend.date",)
CLUB_MONTHS = ("club_member_months.month",)
TICKETS = ("support_tickets.created_on",)
HEADCOUNT = ("headcount_monthly.month",)
RUNS = ("production_runs.run_date",)
VISITS = ("clinic_visits.visit_date",)


def per_month(table: str, date: str, value: str, where: str = "TRUE") -> str:
    return f"SELECT {by_month(date)} AS month, {value} AS value FROM {table} WHERE {where} GROUP BY 1"


REFERENCES: dict[str, Ref] = {
    # sales
    "total_sales_revenue": Ref(f"SELECT month, revenue FROM ({REVENUE})", ORDERS, additive=True),
    "average_transaction_value": Ref(
        per_month("orders", "order_date", "SUM(subtotal - discount) / COUNT(*)", "status <> 'cancelled'"), ORDERS
    ),
    "units_per_transaction": Ref(
        per_month("orders", "order_date", "SUM(item_count) / COUNT(*)", "status <> 'cancelled'"), ORDERS
    ),
    "return_rate": Ref(
        per_month(
            "orders",
            "order_date",
            "COUNT(*) FILTER (WHERE status = 'returned') / COUNT(*) FILTER (WHERE status <> 'cancelled')",
        ),
        ORDERS,
    ),
    "repeat_purchase_rate": Ref(
        per_month("orders", "order_date", "AVG(CASE WHEN is_first_order THEN 0 ELSE 1 END)", "status <> 'cancelled'"),
        ORDERS,
    ),
    "new_customers": Ref(
        per_month("orders", "order_date", "COUNT(*)", "is_first_order AND status <> 'cancelled'"), ORDERS, additive=True
    ),
    "sales_conversion_rate": Ref(per_month("leads", "created_on", "COUNT(won_on) / COUNT(*)"), ("leads.created_on",)),
    "lead_qualification_rate": Ref(
        per_month("leads", "created_on", "COUNT(qualified_on) / COUNT(*)"), ("leads.created_on",)
    ),
    "new_leads": Ref(per_month("leads", "created_on", "COUNT(*)"), ("leads.created_on",), additive=True),
    "average_deal_size": Ref(per_month("leads", "won_on", "AVG(deal_value)", "won_on IS NOT NULL"), ("leads.won_on",)),
    "sales_cycle_length": Ref(
        per_month("leads", "won_on", "AVG(date_diff('day', created_on, won_on))", "won_on IS NOT NULL"),
        ("leads.won_on",),
    ),
    # finance
    "gross_margin": Ref(f"SELECT month, (revenue - cost) / revenue FROM ({LINES})", ORDERS),
    "net_profit_margin": Ref(
        f"""
        SELECT l.month, (l.revenue - l.cost - COALESCE(x.amount, 0)) / l.revenue
        FROM ({LINES}) AS l
        LEFT JOIN (SELECT month, SUM(amount) AS amount FROM operating_expenses GROUP BY 1) AS x USING (month)
        """,
        (*ORDERS, "operating_expenses.month"),
    ),
    # marketing
    "website_traffic": Ref(per_month("web_traffic_daily", "date", "SUM(sessions)"), TRAFFIC, additive=True),
    "conversion_rate": Ref(per_month("web_traffic_daily", "date", "SUM(orders) / SUM(sessions)"), TRAFFIC),
    "bounce_rate": Ref(per_month("web_traffic_daily", "date", "SUM(bounces) / SUM(sessions)"), TRAFFIC),
    "click_through_rate": Ref(per_month("marketing_spend", "date", "SUM(clicks) / SUM(impressions)"), ADS),
    "cost_per_click": Ref(per_month("marketing_spend", "date", "SUM(spend) / SUM(clicks)"), ADS),
    "marketing_roi": Ref(per_month("marketing_spend", "date", "SUM(attributed_revenue) / SUM(spend) - 1"), ADS),
    "return_on_ad_spend": Ref(per_month("marketing_spend", "date", "SUM(attributed_revenue) / SUM(spend)"), ADS),
    "customer_acquisition_cost": Ref(
        f"""
        SELECT s.month, s.spend / n.first_orders
        FROM ({SPEND}) AS s
        JOIN ({per_month("orders", "order_date", "COUNT(*)", "is_first_order AND status <> 'cancelled'")})
            AS n (month, first_orders) USING (month)
        """,
        (*ADS, *ORDERS),
    ),
    "marketing_spend_share_of_revenue": Ref(
        f"SELECT s.month, s.spend / r.revenue FROM ({SPEND}) AS s JOIN ({REVENUE}) AS r USING (month)",
        (*ADS, *ORDERS),
    ),
    "social_engagement": Ref(
        per_month("social_posts", "posted_on", "SUM(reactions) + SUM(comments) + SUM(shares)"),
        ("social_posts.posted_on",),
        additive=True,
    ),
    "social_engagement_rate": Ref(
        per_month("social_posts", "posted_on", "(SUM(reactions) + SUM(comments) + SUM(shares)) / SUM(impressions)"),
        ("social_posts.posted_on",),
    ),
    # customers: the club's months (one row per membership and month, so a month's balance is its rows)
    "mrr": Ref(f"SELECT month, mrr FROM ({CLUB})", CLUB_MONTHS),
    "active_subscribers": Ref(f"SELECT month, members FROM ({CLUB})", CLUB_MONTHS),
    "new_subscribers": Ref(per_month("club_member_months", "month", "COUNT(*)", "joined"), CLUB_MONTHS, True),
    "churn_rate": Ref(f"SELECT month, churned / at_start FROM ({CLUB})", CLUB_MONTHS),
    "customer_retention_rate": Ref(
        per_month(
            "club_member_months",
            "month",
            "AVG(CASE WHEN active_at_end THEN 1.0 ELSE 0.0 END)",
            "active_at_start",
        ),
        CLUB_MONTHS,
    ),
    "arpu": Ref(f"SELECT month, mrr / members FROM ({CLUB})", CLUB_MONTHS),
    "customer_lifetime_value": Ref(
        f"""
        SELECT c.month, (c.mrr / c.members) * ((l.revenue - l.cost) / l.revenue) / (c.churned / c.at_start)
        FROM ({CLUB}) AS c JOIN ({LINES}) AS l USING (month)
        """,
        (*CLUB_MONTHS, *ORDERS),
    ),
    # support
    "csat": Ref(
        per_month(
            "support_tickets",
            "created_on",
            "AVG(CASE WHEN csat_score IN (4, 5) THEN 1.0 ELSE 0.0 END)",
            "csat_score IS NOT NULL",
        ),
        TICKETS,
    ),
    "average_handling_time": Ref(per_month("support_tickets", "created_on", "AVG(handling_minutes)"), TICKETS),
    "first_call_resolution_rate": Ref(
        per_month("support_tickets", "created_on", "COUNT(*) FILTER (WHERE resolved_first_contact) / COUNT(*)"),
        TICKETS,
    ),
    "ticket_response_time": Ref(per_month("support_tickets", "created_on", "AVG(first_response_minutes)"), TICKETS),
    "ticket_volume": Ref(per_month("support_tickets", "created_on", "COUNT(*)"), TICKETS, additive=True),
    "ticket_reopen_rate": Ref(
        per_month("support_tickets", "created_on", "COUNT(*) FILTER (WHERE reopened) / COUNT(*)"), TICKETS
    ),
    # people
    "headcount": Ref(per_month("headcount_monthly", "month", "SUM(headcount_end)"), HEADCOUNT),
    "new_hires": Ref(per_month("headcount_monthly", "month", "SUM(hires)"), HEADCOUNT, additive=True),
    "employee_turnover_rate": Ref(
        f"""
        SELECT month, l.leavers / h.avg_headcount
        FROM ({per_month("headcount_monthly", "month", "SUM(leavers)")}) AS l (month, leavers)
        JOIN ({AVG_HEADCOUNT}) AS h USING (month)
        """,
        HEADCOUNT,
    ),
    "revenue_per_employee": Ref(
        f"SELECT month, r.revenue / h.avg_headcount FROM ({REVENUE}) AS r JOIN ({AVG_HEADCOUNT}) AS h USING (month)",
        (*ORDERS, *HEADCOUNT),
    ),
    # operations
    "inventory_turnover": Ref(
        f"""
        WITH counts AS (  -- the stock's value at cost on each count date
            SELECT snapshot_date, SUM(inventory_value) AS value FROM inventory_snapshots GROUP BY 1
        ),
        stock AS (SELECT {by_month("snapshot_date")} AS month, AVG(value) AS avg_value FROM counts GROUP BY 1)
        SELECT month, l.cost / s.avg_value FROM ({LINES}) AS l JOIN stock AS s USING (month)
        """,
        (*ORDERS, "inventory_snapshots.snapshot_date"),
    ),
    "stockout_rate": Ref(
        per_month("inventory_snapshots", "snapshot_date", "COUNT(*) FILTER (WHERE units_on_hand = 0) / COUNT(*)"),
        ("inventory_snapshots.snapshot_date",),
    ),
    "on_time_delivery_rate": Ref(
        per_month(
            "deliveries",
            "shipped_on",
            "COUNT(*) FILTER (WHERE delivered_on <= promised_on) / COUNT(*)",
            "delivered_on IS NOT NULL",
        ),
        ("deliveries.shipped_on",),
    ),
    # manufacturing
    "units_produced": Ref(per_month("production_runs", "run_date", "SUM(produced_units)"), RUNS, additive=True),
    "defect_rate": Ref(per_month("production_runs", "run_date", "SUM(defective_units) / SUM(produced_units)"), RUNS),
    "production_plan_attainment": Ref(
        per_month("production_runs", "run_date", "SUM(produced_units) / SUM(planned_units)"), RUNS
    ),
    "downtime_rate": Ref(
        per_month("production_runs", "run_date", "SUM(downtime_minutes) / SUM(planned_minutes)"), RUNS
    ),
    "overall_equipment_effectiveness": Ref(
        per_month(
            "production_runs",
            "run_date",
            # availability x performance x quality, with planned_units the output of the planned minutes
            "(1 - SUM(downtime_minutes) / SUM(planned_minutes))"
            " * (SUM(produced_units) / (SUM(planned_units) * (1 - SUM(downtime_minutes) / SUM(planned_minutes))))"
            " * (1 - SUM(defective_units) / SUM(produced_units))",
        ),
        RUNS,
    ),
    # it
    "system_uptime": Ref(
        per_month("system_uptime_daily", "date", "1 - SUM(minutes_down) / SUM(minutes_total)"),
        ("system_uptime_daily.date",),
    ),
    "incident_count": Ref(
        per_month("system_incidents", "started_on", "COUNT(*)"), ("system_incidents.started_on",), additive=True
    ),
    "mean_time_to_resolve": Ref(
        per_month(
            "system_incidents",
            "started_on",
            "AVG(epoch_ms(resolved_at) - epoch_ms(started_at)) / 60000.0",
            "resolved_at IS NOT NULL",
        ),
        ("system_incidents.started_on",),
    ),
    # healthcare
    "patient_visits": Ref(per_month("clinic_visits", "visit_date", "COUNT(*)"), VISITS, additive=True),
    "patient_throughput_time": Ref(per_month("clinic_visits", "visit_date", "AVG(throughput_minutes)"), VISITS),
    "patient_satisfaction": Ref(per_month("clinic_visits", "visit_date", "AVG(satisfaction_score)"), VISITS),
    "readmission_rate": Ref(
        per_month("clinic_visits", "visit_date", "AVG(CASE WHEN readmitted_within_30d THEN 1.0 ELSE 0.0 END)"), VISITS
    ),
    "admission_rate": Ref(
        per_month("clinic_visits", "visit_date", "COUNT(*) FILTER (WHERE admitted) / COUNT(*)"), VISITS
    ),
}


def reference(con: duckdb.DuckDBPyConnection, ref: Ref) -> dict[dt.date, float | None]:
    """The reference's values on every month of its range."""
    bounds = " UNION ALL ".join(
        f"SELECT MIN({col}) AS lo, MAX({col}) AS hi FROM {table}" for table, col in (s.split(".") for s in ref.spans)
    )
    months = con.sql(
        f"""
        SELECT CAST(m AS DATE) FROM range(
            (SELECT CAST(date_trunc('month', MIN(lo)) AS TIMESTAMP) FROM ({bounds})),
            (SELECT CAST(MAX(hi) AS TIMESTAMP) FROM ({bounds})) + INTERVAL 1 DAY,
            INTERVAL 1 MONTH) AS t (m)
        """
    ).fetchall()
    values = {month: _float(value) for month, value in con.sql(ref.sql).fetchall()}
    empty = 0.0 if ref.additive else None
    return {month: values.get(month, empty) for (month,) in months}


def _float(value: Any) -> float | None:
    return None if value is None else float(value) if isinstance(value, (Decimal, int, float)) else value


@pytest.fixture(scope="module")
def project_dir(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project with every entry, added at once, on a copy of the demo data."""
    root = tmp_path_factory.mktemp("library_numbers")
    (root / "data").mkdir()
    shutil.copyfile(demo_db, root / "data" / "demo.duckdb")
    (root / "onpace.yml").write_text(
        "name: library\nsources:\n  warehouse:\n    url: duckdb:///data/demo.duckdb\n", encoding="utf-8"
    )
    add_entries(root, list(load_library().entries))
    return root


@pytest.fixture(scope="module")
def engine(project_dir: Path) -> Iterator[Engine]:
    engine = Engine(load_project(project_dir))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def con(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The hand-written queries run on their own copy, read-only: the engine's file stays untouched."""
    copy = tmp_path_factory.mktemp("library_reference") / "demo.duckdb"
    shutil.copyfile(demo_db, copy)
    con = duckdb.connect(str(copy), read_only=True)
    yield con
    con.close()


def test_every_entry_has_a_reference() -> None:
    names = set(load_library().entries)
    assert not names - set(REFERENCES), f"write a reference query for {sorted(names - set(REFERENCES))}"
    assert not set(REFERENCES) - names, f"references without an entry: {sorted(set(REFERENCES) - names)}"


def test_all_entries_together_check_against_the_data(engine: Engine) -> None:
    assert check_sources(engine.project, engine) == []


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_entry_by_month_matches_hand_written_sql(name: str, engine: Engine, con: duckdb.DuckDBPyConnection) -> None:
    expected = reference(con, REFERENCES[name])
    rows = engine.query(Query(metrics=[name], grain="month")).to_pylist()
    got = {row["period"]: _float(row[name]) for row in rows}
    assert len(expected) >= 36, "the demo data covers three years"
    assert sorted(got) == sorted(expected)
    wrong = {month: (got[month], want) for month, want in expected.items() if not _same(got[month], want)}
    assert not wrong, f"{name}: onpace, reference by month: {wrong}"
    assert any(v not in (None, 0.0) for v in expected.values())


def _same(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(got, want, rel_tol=REL, abs_tol=0.0)


# Balances and rates over balances at a grain coarser than their rows (one row per month): by
# quarter, a "last" balance is the quarter's last month and an average is the mean of its months.
# By month those readings all give the same number, so only a coarser grain tells them apart.
def _last_of_quarter(monthly: str) -> str:
    return f"""
        WITH m AS ({monthly})
        SELECT CAST(date_trunc('quarter', month) AS DATE), arg_max(v, month) FROM m GROUP BY 1
    """


QUARTERLY = {
    "headcount": _last_of_quarter("SELECT month, SUM(headcount_end) AS v FROM headcount_monthly GROUP BY 1"),
    "mrr": _last_of_quarter("SELECT month, SUM(mrr) AS v FROM club_member_months GROUP BY 1"),
    "active_subscribers": _last_of_quarter(
        "SELECT month, COUNT(*) FILTER (WHERE active_at_end) AS v FROM club_member_months GROUP BY 1"
    ),
    "employee_turnover_rate": """
        WITH m AS (
            SELECT month, SUM(leavers) AS leavers, SUM(headcount_start + headcount_end) / 2.0 AS avg_headcount
            FROM headcount_monthly GROUP BY 1
        )
        SELECT CAST(date_trunc('quarter', month) AS DATE), SUM(leavers) / AVG(avg_headcount) FROM m GROUP BY 1
    """,
}


@pytest.mark.parametrize("name", sorted(QUARTERLY))
def test_balances_by_quarter_match_hand_written_sql(name: str, engine: Engine, con: duckdb.DuckDBPyConnection) -> None:
    expected = {quarter: _float(value) for quarter, value in con.sql(QUARTERLY[name]).fetchall()}
    rows = engine.query(Query(metrics=[name], grain="quarter")).to_pylist()
    got = {row["period"]: _float(row[name]) for row in rows}
    assert len(expected) >= 12 and sorted(got) == sorted(expected)
    wrong = {q: (got[q], want) for q, want in expected.items() if not _same(got[q], want)}
    assert not wrong, f"{name}: onpace, reference by quarter: {wrong}"
