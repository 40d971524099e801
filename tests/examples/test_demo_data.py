"""The demo company's data against its contract, docs/demo-data.md.

The expected tables, columns and types below are copied from the contract, not from the
generator. Every invariant of the contract is a query that returns the rows breaking it (there
must be none); the story (the incidents, the migration, the recent slump) is checked with
deliberately loose bounds, so that the assertions say "the KPIs react" rather than pin numbers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from onpace.examples import demo_data
from onpace.examples.demo_data import DEMO_END, DEMO_START, SEED, TABLES

MONEY = "DECIMAL(12,2)"
PRICE = "DECIMAL(10,2)"

# docs/demo-data.md, table by table (DECIMAL without a size is DECIMAL(12,2))
CONTRACT: dict[str, list[tuple[str, str]]] = {
    "products": [
        ("product_id", "BIGINT"),
        ("sku", "VARCHAR"),
        ("name", "VARCHAR"),
        ("category", "VARCHAR"),
        ("made_in_house", "BOOLEAN"),
        ("list_price", PRICE),
        ("unit_cost", PRICE),
    ],
    "customers": [
        ("customer_id", "BIGINT"),
        ("signed_up_on", "DATE"),
        ("country", "VARCHAR"),
        ("region", "VARCHAR"),
        ("acquisition_channel", "VARCHAR"),
    ],
    "orders": [
        ("order_id", "BIGINT"),
        ("customer_id", "BIGINT"),
        ("order_date", "DATE"),
        ("ordered_at", "TIMESTAMP"),
        ("channel", "VARCHAR"),
        ("traffic_source", "VARCHAR"),
        ("country", "VARCHAR"),
        ("region", "VARCHAR"),
        ("status", "VARCHAR"),
        ("is_first_order", "BOOLEAN"),
        ("item_count", "INTEGER"),
        ("subtotal", MONEY),
        ("discount", MONEY),
        ("shipping_fee", MONEY),
        ("total", MONEY),
    ],
    "order_items": [
        ("order_item_id", "BIGINT"),
        ("order_id", "BIGINT"),
        ("product_id", "BIGINT"),
        ("quantity", "INTEGER"),
        ("unit_price", PRICE),
        ("unit_cost", PRICE),
        ("revenue", MONEY),
        ("cost", MONEY),
    ],
    "deliveries": [
        ("delivery_id", "BIGINT"),
        ("order_id", "BIGINT"),
        ("carrier", "VARCHAR"),
        ("region", "VARCHAR"),
        ("shipped_on", "DATE"),
        ("promised_on", "DATE"),
        ("delivered_on", "DATE"),
        ("on_time", "BOOLEAN"),
        ("damaged", "BOOLEAN"),
    ],
    "web_traffic_daily": [
        ("date", "DATE"),
        ("source", "VARCHAR"),
        ("device", "VARCHAR"),
        ("sessions", "BIGINT"),
        ("users", "BIGINT"),
        ("pageviews", "BIGINT"),
        ("bounces", "BIGINT"),
        ("orders", "BIGINT"),
    ],
    "marketing_spend": [
        ("date", "DATE"),
        ("channel", "VARCHAR"),
        ("campaign", "VARCHAR"),
        ("impressions", "BIGINT"),
        ("clicks", "BIGINT"),
        ("spend", MONEY),
        ("attributed_revenue", MONEY),
        ("new_customers", "INTEGER"),
    ],
    "social_posts": [
        ("post_id", "BIGINT"),
        ("posted_on", "DATE"),
        ("network", "VARCHAR"),
        ("impressions", "BIGINT"),
        ("reactions", "BIGINT"),
        ("comments", "BIGINT"),
        ("shares", "BIGINT"),
    ],
    "leads": [
        ("lead_id", "BIGINT"),
        ("created_on", "DATE"),
        ("source", "VARCHAR"),
        ("segment", "VARCHAR"),
        ("sales_rep", "VARCHAR"),
        ("qualified_on", "DATE"),
        ("won_on", "DATE"),
        ("lost_on", "DATE"),
        ("deal_value", MONEY),
    ],
    "club_memberships": [
        ("membership_id", "BIGINT"),
        ("customer_id", "BIGINT"),
        ("plan", "VARCHAR"),
        ("region", "VARCHAR"),
        ("started_on", "DATE"),
        ("cancelled_on", "DATE"),
        ("monthly_fee", "DECIMAL(8,2)"),
    ],
    "club_member_months": [
        ("month", "DATE"),
        ("membership_id", "BIGINT"),
        ("plan", "VARCHAR"),
        ("region", "VARCHAR"),
        ("active_at_start", "BOOLEAN"),
        ("joined", "BOOLEAN"),
        ("cancelled", "BOOLEAN"),
        ("active_at_end", "BOOLEAN"),
        ("mrr", "DECIMAL(8,2)"),
    ],
    "support_tickets": [
        ("ticket_id", "BIGINT"),
        ("created_at", "TIMESTAMP"),
        ("created_on", "DATE"),
        ("channel", "VARCHAR"),
        ("category", "VARCHAR"),
        ("priority", "VARCHAR"),
        ("team", "VARCHAR"),
        ("agent", "VARCHAR"),
        ("first_response_minutes", "DOUBLE"),
        ("handling_minutes", "DOUBLE"),
        ("resolved_at", "TIMESTAMP"),
        ("resolved_first_contact", "BOOLEAN"),
        ("reopened", "BOOLEAN"),
        ("csat_score", "SMALLINT"),
    ],
    "employees": [
        ("employee_id", "BIGINT"),
        ("department", "VARCHAR"),
        ("location", "VARCHAR"),
        ("job_level", "VARCHAR"),
        ("hired_on", "DATE"),
        ("left_on", "DATE"),
        ("leave_type", "VARCHAR"),
        ("annual_salary", MONEY),
    ],
    "headcount_monthly": [
        ("month", "DATE"),
        ("department", "VARCHAR"),
        ("location", "VARCHAR"),
        ("headcount_start", "INTEGER"),
        ("hires", "INTEGER"),
        ("leavers", "INTEGER"),
        ("voluntary_leavers", "INTEGER"),
        ("headcount_end", "INTEGER"),
    ],
    "operating_expenses": [
        ("month", "DATE"),
        ("department", "VARCHAR"),
        ("category", "VARCHAR"),
        ("amount", MONEY),
    ],
    "inventory_snapshots": [
        ("snapshot_date", "DATE"),
        ("product_id", "BIGINT"),
        ("category", "VARCHAR"),
        ("warehouse", "VARCHAR"),
        ("units_on_hand", "INTEGER"),
        ("inventory_value", MONEY),
        ("stockout", "BOOLEAN"),
    ],
    "production_runs": [
        ("run_id", "BIGINT"),
        ("product_id", "BIGINT"),
        ("line", "VARCHAR"),
        ("run_date", "DATE"),
        ("started_at", "TIMESTAMP"),
        ("planned_units", "INTEGER"),
        ("produced_units", "INTEGER"),
        ("defective_units", "INTEGER"),
        ("planned_minutes", "INTEGER"),
        ("downtime_minutes", "INTEGER"),
    ],
    "system_incidents": [
        ("incident_id", "BIGINT"),
        ("system", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("started_at", "TIMESTAMP"),
        ("detected_at", "TIMESTAMP"),
        ("resolved_at", "TIMESTAMP"),
        ("started_on", "DATE"),
        ("downtime_minutes", "DOUBLE"),
        ("customer_facing", "BOOLEAN"),
    ],
    "system_uptime_daily": [
        ("date", "DATE"),
        ("system", "VARCHAR"),
        ("minutes_total", "INTEGER"),
        ("minutes_down", "DOUBLE"),
    ],
    "clinic_visits": [
        ("visit_id", "BIGINT"),
        ("patient_id", "BIGINT"),
        ("clinic", "VARCHAR"),
        ("specialty", "VARCHAR"),
        ("visit_date", "DATE"),
        ("arrived_at", "TIMESTAMP"),
        ("seen_at", "TIMESTAMP"),
        ("discharged_at", "TIMESTAMP"),
        ("throughput_minutes", "DOUBLE"),
        ("admitted", "BOOLEAN"),
        ("readmitted_within_30d", "BOOLEAN"),
        ("satisfaction_score", "SMALLINT"),
    ],
}

# the values a column may take (NULL allowed only where the contract says so)
VOCABULARY: list[tuple[str, str, tuple[str, ...]]] = [
    ("products", "category", ("Tents", "Backpacks", "Clothing", "Footwear", "Accessories")),
    ("customers", "country", ("DE", "FR", "GB", "NL", "SE", "US", "CA")),
    ("customers", "region", ("Europe", "North America")),
    ("customers", "acquisition_channel", ("organic", "paid", "referral", "email", "social")),
    ("orders", "channel", ("web", "app", "marketplace")),
    ("orders", "traffic_source", ("organic", "paid", "referral", "email", "social")),
    ("orders", "status", ("completed", "returned", "cancelled")),
    ("deliveries", "carrier", ("DHL", "UPS", "PostNL", "Canada Post", "NorthFreight")),
    ("web_traffic_daily", "source", ("organic", "paid", "referral", "email", "social")),
    ("web_traffic_daily", "device", ("desktop", "mobile", "tablet")),
    ("marketing_spend", "channel", ("paid_search", "paid_social", "display", "email", "affiliate")),
    ("social_posts", "network", ("instagram", "facebook", "linkedin", "tiktok")),
    ("leads", "source", ("website", "trade_show", "referral", "partner", "outbound")),
    ("leads", "segment", ("retailer", "corporate", "team")),
    ("club_memberships", "plan", ("monthly", "annual")),
    ("support_tickets", "channel", ("email", "chat", "phone")),
    ("support_tickets", "category", ("order", "delivery", "product", "returns", "billing")),
    ("support_tickets", "priority", ("low", "normal", "high", "urgent")),
    ("support_tickets", "team", ("Tier 1", "Tier 2")),
    (
        "employees",
        "department",
        ("Sales", "Marketing", "Operations", "Manufacturing", "Support", "IT", "Finance", "People"),
    ),
    ("employees", "location", ("Leeds", "Rotterdam", "Reno")),
    ("employees", "job_level", ("junior", "mid", "senior", "lead")),
    ("operating_expenses", "category", ("payroll", "marketing", "rent", "software", "logistics", "other")),
    ("inventory_snapshots", "warehouse", ("Leeds", "Rotterdam", "Reno")),
    ("production_runs", "line", ("Line A", "Line B", "Line C")),
    ("system_incidents", "system", ("webshop", "checkout", "erp", "warehouse", "email")),
    ("system_incidents", "severity", ("sev1", "sev2", "sev3")),
    ("system_uptime_daily", "system", ("webshop", "checkout", "erp", "warehouse", "email")),
    ("clinic_visits", "clinic", ("North", "South")),
    ("clinic_visits", "specialty", ("general", "cardiology", "orthopedics", "pediatrics")),
]

# columns the contract lets be NULL
NULLABLE = {
    ("deliveries", "delivered_on"),
    ("leads", "qualified_on"),
    ("leads", "won_on"),
    ("leads", "lost_on"),
    ("leads", "deal_value"),
    ("club_memberships", "cancelled_on"),
    ("support_tickets", "resolved_at"),
    ("support_tickets", "csat_score"),
    ("employees", "left_on"),
    ("employees", "leave_type"),
    ("clinic_visits", "satisfaction_score"),
}

KEYS = [
    ("products", "product_id"),
    ("customers", "customer_id"),
    ("orders", "order_id"),
    ("order_items", "order_item_id"),
    ("deliveries", "delivery_id"),
    ("social_posts", "post_id"),
    ("leads", "lead_id"),
    ("club_memberships", "membership_id"),
    ("support_tickets", "ticket_id"),
    ("employees", "employee_id"),
    ("production_runs", "run_id"),
    ("system_incidents", "incident_id"),
    ("clinic_visits", "visit_id"),
]

FOREIGN_KEYS = [
    ("orders", "customer_id", "customers", "customer_id"),
    ("order_items", "order_id", "orders", "order_id"),
    ("order_items", "product_id", "products", "product_id"),
    ("deliveries", "order_id", "orders", "order_id"),
    ("club_memberships", "customer_id", "customers", "customer_id"),
    ("club_member_months", "membership_id", "club_memberships", "membership_id"),
    ("inventory_snapshots", "product_id", "products", "product_id"),
    ("production_runs", "product_id", "products", "product_id"),
]

START, END = f"DATE '{DEMO_START}'", f"DATE '{DEMO_END}'"

# dates of events that happen within the history (sign-ups, hirings and memberships may be older;
# promised delivery dates may lie after the end)
EVENT_DATES = [
    ("orders", "order_date"),
    ("orders", "CAST(ordered_at AS DATE)"),
    ("deliveries", "shipped_on"),
    ("deliveries", "delivered_on"),
    ("web_traffic_daily", '"date"'),
    ("marketing_spend", '"date"'),
    ("social_posts", "posted_on"),
    ("leads", "created_on"),
    ("leads", "qualified_on"),
    ("leads", "won_on"),
    ("leads", "lost_on"),
    ("club_memberships", "cancelled_on"),
    ("club_member_months", "month"),
    ("support_tickets", "created_on"),
    ("support_tickets", "CAST(resolved_at AS DATE)"),
    ("employees", "left_on"),
    ("headcount_monthly", "month"),
    ("operating_expenses", "month"),
    ("inventory_snapshots", "snapshot_date"),
    ("production_runs", "run_date"),
    ("system_incidents", "started_on"),
    ("system_incidents", "CAST(resolved_at AS DATE)"),
    ("system_uptime_daily", '"date"'),
    ("clinic_visits", "visit_date"),
    ("clinic_visits", "CAST(discharged_at AS DATE)"),
]
MONTHLY = {("club_member_months", "month"), ("headcount_monthly", "month"), ("operating_expenses", "month")}
NOT_AFTER_END = [
    ("customers", "signed_up_on"),
    ("club_memberships", "started_on"),
    ("employees", "hired_on"),
]

# name -> query returning the rows that break the invariant
INVARIANTS: dict[str, str] = {
    # sales
    "order total = subtotal - discount + shipping": """
        SELECT * FROM orders WHERE total <> subtotal - discount + shipping_fee
            OR discount < 0 OR shipping_fee < 0 OR discount > subtotal""",
    "order subtotal and item count = its items": """
        SELECT o.order_id FROM orders AS o JOIN order_items AS i USING (order_id)
        GROUP BY o.order_id, o.subtotal, o.item_count
        HAVING o.subtotal <> sum(i.quantity * i.unit_price) OR o.item_count <> sum(i.quantity)""",
    "lines' revenue sums to subtotal - discount": """
        SELECT o.order_id FROM orders AS o JOIN order_items AS i USING (order_id)
        GROUP BY o.order_id, o.subtotal, o.discount
        HAVING sum(i.revenue) <> o.subtotal - o.discount""",
    "line cost = quantity x unit cost": """
        SELECT * FROM order_items WHERE cost <> quantity * unit_cost OR quantity < 1 OR revenue < 0""",
    "line unit cost is the product's": """
        SELECT * FROM order_items AS i JOIN products AS p USING (product_id) WHERE i.unit_cost <> p.unit_cost""",
    "every order has items": """
        SELECT * FROM orders AS o WHERE NOT EXISTS (SELECT 1 FROM order_items AS i WHERE i.order_id = o.order_id)""",
    "ordered_at within order_date": "SELECT * FROM orders WHERE CAST(ordered_at AS DATE) <> order_date",
    "order country and region are the customer's": """
        SELECT * FROM orders AS o JOIN customers AS c USING (customer_id)
        WHERE o.country <> c.country OR o.region <> c.region""",
    "region follows the country": """
        SELECT * FROM customers
        WHERE region <> CASE WHEN country IN ('US', 'CA') THEN 'North America' ELSE 'Europe' END""",
    "marketplace orders come from referral": """
        SELECT * FROM orders WHERE channel = 'marketplace' AND traffic_source <> 'referral'""",
    "at most one first order per customer, the earliest": """
        SELECT customer_id FROM orders GROUP BY customer_id
        HAVING count(*) FILTER (WHERE is_first_order) > 1
            OR (bool_or(is_first_order) AND min(ordered_at) < min(ordered_at) FILTER (WHERE is_first_order))""",
    "customers signed up in the history joined with their first order": """
        SELECT * FROM customers AS c
        LEFT JOIN orders AS o ON o.customer_id = c.customer_id AND o.is_first_order
        WHERE c.signed_up_on >= DATE '{start}' AND (o.order_id IS NULL OR o.order_date <> c.signed_up_on)""",
    "no order before the customer signed up": """
        SELECT * FROM orders AS o JOIN customers AS c USING (customer_id) WHERE o.order_date < c.signed_up_on""",
    # deliveries
    "one delivery per order that is not cancelled": """
        SELECT o.order_id FROM orders AS o LEFT JOIN deliveries AS d USING (order_id)
        GROUP BY o.order_id, o.status
        HAVING count(d.delivery_id) <> CASE WHEN o.status = 'cancelled' THEN 0 ELSE 1 END""",
    "on_time = delivered by the promised date": """
        SELECT * FROM deliveries WHERE on_time <> coalesce(delivered_on <= promised_on, false)""",
    "deliveries in order: ordered, shipped, delivered": """
        SELECT * FROM deliveries AS d JOIN orders AS o USING (order_id)
        WHERE d.shipped_on < o.order_date OR d.delivered_on < d.shipped_on OR d.promised_on < o.order_date
            OR d.region <> o.region""",
    "only the last days' deliveries are under way": """
        SELECT * FROM deliveries WHERE delivered_on IS NULL AND shipped_on < DATE '{end}' - INTERVAL 21 DAY""",
    "returned orders were delivered": """
        SELECT * FROM orders AS o JOIN deliveries AS d USING (order_id)
        WHERE o.status = 'returned' AND d.delivered_on IS NULL""",
    # marketing
    "traffic orders = orders rows (web and app) per date and source": """
        WITH traffic AS (
            SELECT "date", source, sum(orders) AS orders FROM web_traffic_daily GROUP BY ALL
        ), shop AS (
            SELECT order_date AS "date", traffic_source AS source, count(*) AS orders
            FROM orders WHERE channel IN ('web', 'app') GROUP BY ALL
        )
        SELECT * FROM traffic FULL JOIN shop USING ("date", source)
        WHERE coalesce(traffic.orders, 0) <> coalesce(shop.orders, 0)""",
    "traffic counts are consistent": """
        SELECT * FROM web_traffic_daily
        WHERE users > sessions OR bounces > sessions OR orders > sessions OR pageviews < sessions
            OR bounces + orders > sessions OR least(sessions, users, pageviews, bounces, orders) < 0""",
    "one traffic row per day, source and device": """
        SELECT "date", source, device FROM web_traffic_daily GROUP BY ALL HAVING count(*) > 1
        UNION ALL
        SELECT NULL, NULL, NULL WHERE (SELECT count(*) FROM web_traffic_daily)
            <> 15 * (date_diff('day', DATE '{start}', DATE '{end}') + 1)""",
    "ad clicks <= impressions": """
        SELECT * FROM marketing_spend
        WHERE clicks > impressions OR clicks < 0 OR spend < 0 OR attributed_revenue < 0 OR new_customers < 0""",
    "one spend row per day and campaign": """
        SELECT "date", channel, campaign FROM marketing_spend GROUP BY ALL HAVING count(*) > 1""",
    "social counts are not negative": """
        SELECT * FROM social_posts WHERE least(impressions, reactions, comments, shares) < 0
            OR reactions > impressions""",
    "leads: never both won and lost": "SELECT * FROM leads WHERE won_on IS NOT NULL AND lost_on IS NOT NULL",
    "leads: won after qualified, with a value": """
        SELECT * FROM leads
        WHERE (won_on IS NOT NULL AND (qualified_on IS NULL OR won_on <= qualified_on))
            OR ((won_on IS NULL) <> (deal_value IS NULL)) OR deal_value <= 0""",
    "leads: qualified and lost after they came in": """
        SELECT * FROM leads WHERE qualified_on < created_on OR lost_on < created_on OR lost_on < qualified_on""",
    # club
    "memberships: cancelled after started, fee by plan": """
        SELECT * FROM club_memberships
        WHERE cancelled_on < started_on OR monthly_fee <= 0
            OR monthly_fee <> CASE plan WHEN 'monthly' THEN 6.99 ELSE 4.92 END""",
    "membership region is the customer's": """
        SELECT * FROM club_memberships AS m JOIN customers AS c USING (customer_id) WHERE m.region <> c.region""",
    "one open membership per customer at a time": """
        SELECT a.membership_id FROM club_memberships AS a JOIN club_memberships AS b
          ON a.customer_id = b.customer_id AND a.membership_id < b.membership_id
         AND a.started_on <= coalesce(b.cancelled_on, DATE '9999-12-31')
         AND b.started_on <= coalesce(a.cancelled_on, DATE '9999-12-31')""",
    "member months: at end = at start + joined - cancelled": """
        SELECT month FROM club_member_months GROUP BY month
        HAVING count(*) FILTER (WHERE active_at_end)
            <> count(*) FILTER (WHERE active_at_start) + count(*) FILTER (WHERE joined)
               - count(*) FILTER (WHERE cancelled)""",
    "member months: mrr is the fee while active at the end": """
        SELECT * FROM club_member_months AS mm JOIN club_memberships AS m USING (membership_id)
        WHERE mm.mrr <> CASE WHEN mm.active_at_end THEN m.monthly_fee ELSE 0 END
            OR mm.plan <> m.plan OR mm.region <> m.region""",
    "member months: one row per membership and month": """
        SELECT month, membership_id FROM club_member_months GROUP BY ALL HAVING count(*) > 1""",
    "member months: a month's end is the next month's start": """
        SELECT * FROM club_member_months AS a JOIN club_member_months AS b
          ON a.membership_id = b.membership_id AND b.month = a.month + INTERVAL 1 MONTH
        WHERE a.active_at_end <> b.active_at_start""",
    # support
    "tickets: created_on, response and resolution times": """
        SELECT * FROM support_tickets
        WHERE created_on <> CAST(created_at AS DATE) OR first_response_minutes < 0 OR handling_minutes <= 0
            OR resolved_at < created_at""",
    "tickets: csat 1-5, open tickets are not solved": """
        SELECT * FROM support_tickets
        WHERE csat_score NOT BETWEEN 1 AND 5
            OR (resolved_at IS NULL AND (resolved_first_contact OR reopened OR csat_score IS NOT NULL))""",
    # people
    "employees: left after hired, leave type iff left": """
        SELECT * FROM employees
        WHERE left_on < hired_on OR ((left_on IS NULL) <> (leave_type IS NULL))
            OR leave_type NOT IN ('voluntary', 'involuntary') OR annual_salary <= 0""",
    "headcount: end = start + hires - leavers": """
        SELECT * FROM headcount_monthly
        WHERE headcount_end <> headcount_start + hires - leavers OR voluntary_leavers > leavers
            OR least(headcount_start, hires, leavers, voluntary_leavers, headcount_end) < 0""",
    "headcount: a month's end is the next month's start": """
        SELECT * FROM headcount_monthly AS a JOIN headcount_monthly AS b
          ON a.department = b.department AND a.location = b.location AND b.month = a.month + INTERVAL 1 MONTH
        WHERE a.headcount_end <> b.headcount_start""",
    "headcount: hires and leavers are the employees'": """
        WITH e AS (
            SELECT CAST(date_trunc('month', hired_on) AS DATE) AS month, department, location, count(*) AS n
            FROM employees WHERE hired_on >= DATE '{start}' GROUP BY ALL
        ), h AS (SELECT month, department, location, hires AS n FROM headcount_monthly WHERE hires > 0)
        SELECT * FROM e FULL JOIN h USING (month, department, location) WHERE e.n IS DISTINCT FROM h.n""",
    # finance
    "opex: marketing = that month's marketing spend": """
        WITH spend AS (
            SELECT CAST(date_trunc('month', "date") AS DATE) AS month, sum(spend) AS amount
            FROM marketing_spend GROUP BY ALL
        ), opex AS (
            SELECT month, sum(amount) AS amount FROM operating_expenses WHERE category = 'marketing' GROUP BY ALL
        )
        SELECT * FROM spend FULL JOIN opex USING (month) WHERE spend.amount IS DISTINCT FROM opex.amount
        UNION ALL
        SELECT month, NULL, NULL FROM operating_expenses WHERE category = 'marketing' AND department <> 'Marketing'""",
    "opex: amounts >= 0, one row per month, department and category": """
        SELECT month, department, category FROM operating_expenses GROUP BY ALL
        HAVING count(*) > 1 OR min(amount) < 0 OR min(day(month)) <> 1""",
    # operations and manufacturing
    "inventory: Sundays, value = units x unit cost": """
        SELECT * FROM inventory_snapshots AS s JOIN products AS p USING (product_id)
        WHERE dayofweek(s.snapshot_date) <> 0 OR s.units_on_hand < 0
            OR s.inventory_value <> s.units_on_hand * p.unit_cost OR s.stockout <> (s.units_on_hand = 0)
            OR s.category <> p.category""",
    "inventory: every Sunday, product and warehouse": """
        WITH sundays AS (
            SELECT d FROM generate_series(DATE '{start}', DATE '{end}', INTERVAL 1 DAY) AS t(d) WHERE dayofweek(d) = 0
        )
        SELECT NULL WHERE (SELECT count(*) FROM inventory_snapshots)
            <> (SELECT count(*) FROM sundays) * (SELECT count(*) FROM products) * 3
        UNION ALL
        SELECT NULL FROM inventory_snapshots GROUP BY snapshot_date, product_id, warehouse HAVING count(*) > 1""",
    "production: defective <= produced, downtime <= planned": """
        SELECT * FROM production_runs
        WHERE defective_units > produced_units OR downtime_minutes > planned_minutes
            OR least(planned_units, produced_units, defective_units, planned_minutes, downtime_minutes) < 0
            OR CAST(started_at AS DATE) <> run_date""",
    "production: only products made in house": """
        SELECT * FROM production_runs AS r JOIN products AS p USING (product_id) WHERE NOT p.made_in_house""",
    # IT
    "incidents: detected >= started, resolved > detected": """
        SELECT * FROM system_incidents
        WHERE detected_at < started_at OR resolved_at <= detected_at OR started_on <> CAST(started_at AS DATE)
            OR downtime_minutes < 0 OR downtime_minutes > date_diff('second', started_at, resolved_at) / 60""",
    "uptime: 1440 minutes, minutes down within the day": """
        SELECT * FROM system_uptime_daily WHERE minutes_total <> 1440 OR minutes_down < 0 OR minutes_down > 1440""",
    "uptime: one row per day and system": """
        SELECT "date", system FROM system_uptime_daily GROUP BY ALL HAVING count(*) > 1
        UNION ALL
        SELECT NULL, NULL WHERE (SELECT count(*) FROM system_uptime_daily)
            <> 5 * (date_diff('day', DATE '{start}', DATE '{end}') + 1)""",
    "uptime: minutes down = the incidents' downtime, per system": """
        WITH up AS (SELECT system, sum(minutes_down) AS down FROM system_uptime_daily GROUP BY ALL),
        inc AS (SELECT system, sum(downtime_minutes) AS down FROM system_incidents GROUP BY ALL)
        SELECT * FROM up FULL JOIN inc USING (system) WHERE abs(coalesce(up.down, 0) - coalesce(inc.down, 0)) > 1e-6""",
    "uptime: minutes down = the incidents' downtime, per day": """
        WITH RECURSIVE parts AS (  -- each outage cut at midnights
            SELECT system, started_at AS t,
                started_at + INTERVAL (CAST(downtime_minutes * 60 AS BIGINT)) SECOND AS stop
            FROM system_incidents WHERE downtime_minutes > 0
            UNION ALL
            SELECT system, CAST(CAST(t AS DATE) + INTERVAL 1 DAY AS TIMESTAMP), stop FROM parts
            WHERE CAST(CAST(t AS DATE) + INTERVAL 1 DAY AS TIMESTAMP) < stop
        ), daily AS (
            SELECT CAST(t AS DATE) AS "date", system,
                sum(date_diff('second', t, least(stop, CAST(CAST(t AS DATE) + INTERVAL 1 DAY AS TIMESTAMP)))) / 60
                    AS down
            FROM parts GROUP BY ALL
        )
        SELECT * FROM system_uptime_daily AS u LEFT JOIN daily AS d USING ("date", system)
        WHERE abs(u.minutes_down - coalesce(d.down, 0)) > 1e-6""",
    # clinic
    "visits: arrived <= seen <= discharged, throughput exact": """
        SELECT * FROM clinic_visits
        WHERE seen_at < arrived_at OR discharged_at < seen_at
            OR throughput_minutes <> date_diff('second', arrived_at, discharged_at) / 60.0
            OR CAST(arrived_at AS DATE) <> visit_date OR satisfaction_score NOT BETWEEN 0 AND 10""",
}


@pytest.fixture(scope="module")
def con(demo_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(demo_db), read_only=True)
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql.format(start=DEMO_START, end=DEMO_END)).fetchall()


def value(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    (result,) = rows(con, sql)
    assert result[0] is not None, sql
    return float(result[0])  # type: ignore[arg-type]


# --- the contract's shape -----------------------------------------------------------------------


def test_constants() -> None:
    assert date(2023, 11, 1) == DEMO_START
    assert date(2026, 11, 18) == DEMO_END
    assert isinstance(SEED, int)
    assert set(TABLES) == set(CONTRACT)
    assert len(TABLES) == len(set(TABLES))


def test_tables_have_the_contracts_columns_and_types(con: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        con,
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'main' ORDER BY table_name, ordinal_position",
    )
    actual: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in found:
        actual.setdefault(str(table), []).append((str(column), str(data_type)))
    assert sorted(actual) == sorted(CONTRACT)
    for table, columns in CONTRACT.items():
        assert actual[table] == columns, table


def test_no_nulls_where_the_contract_has_none(con: duckdb.DuckDBPyConnection) -> None:
    nulls = []
    for table, columns in CONTRACT.items():
        checked = [column for column, _ in columns if (table, column) not in NULLABLE]
        counted = ", ".join(f'count(*) - count("{c}")' for c in checked)
        counts = rows(con, f'SELECT {counted} FROM "{table}"')[0]
        nulls += [(table, column) for column, n in zip(checked, counts, strict=True) if n]
    assert nulls == []


@pytest.mark.parametrize(("table", "column", "allowed"), VOCABULARY, ids=[f"{t}.{c}" for t, c, _ in VOCABULARY])
def test_vocabulary(con: duckdb.DuckDBPyConnection, table: str, column: str, allowed: tuple[str, ...]) -> None:
    used = {str(v) for (v,) in rows(con, f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')}
    assert used <= set(allowed)


@pytest.mark.parametrize(("table", "key"), KEYS, ids=[t for t, _ in KEYS])
def test_keys_are_unique_and_start_at_1(con: duckdb.DuckDBPyConnection, table: str, key: str) -> None:
    n, distinct, low, high = rows(con, f"SELECT count(*), count(DISTINCT {key}), min({key}), max({key}) FROM {table}")[
        0
    ]
    assert n == distinct == high
    assert low == 1


@pytest.mark.parametrize(
    ("table", "column", "parent", "key"), FOREIGN_KEYS, ids=[f"{t}.{c}" for t, c, _, _ in FOREIGN_KEYS]
)
def test_references(con: duckdb.DuckDBPyConnection, table: str, column: str, parent: str, key: str) -> None:
    dangling = rows(con, f"SELECT count(*) FROM {table} AS c ANTI JOIN {parent} AS p ON c.{column} = p.{key}")
    assert dangling == [(0,)]


def test_sizes(con: duckdb.DuckDBPyConnection) -> None:
    assert 110 <= value(con, "SELECT count(*) FROM products") <= 130
    assert 0.4 <= value(con, "SELECT avg(made_in_house::INT) FROM products") <= 0.6
    per_day = rows(
        con,
        "SELECT quantile_cont(n, 0.05), quantile_cont(n, 0.95) FROM"
        " (SELECT order_date, count(*) AS n FROM orders GROUP BY ALL)",
    )[0]
    assert float(per_day[0]) >= 130  # type: ignore[arg-type]
    assert float(per_day[1]) <= 450  # type: ignore[arg-type]
    tickets = rows(
        con,
        "SELECT quantile_cont(n, 0.05), quantile_cont(n, 0.95) FROM"
        " (SELECT created_on, count(*) AS n FROM support_tickets GROUP BY ALL)",
    )[0]
    assert float(tickets[0]) >= 50  # type: ignore[arg-type]
    assert float(tickets[1]) <= 180  # type: ignore[arg-type]
    visits = value(con, "SELECT count(*) / count(DISTINCT visit_date) FROM clinic_visits")
    assert 40 <= visits <= 80
    employed = value(con, f"SELECT count(*) FROM employees WHERE hired_on <= {END} AND left_on IS NULL")
    assert 220 <= employed <= 300
    members = value(
        con, f"SELECT count(*) FROM club_member_months WHERE month = DATE '{DEMO_END.replace(day=1)}' AND active_at_end"
    )
    assert 2_000 <= members <= 8_000


@pytest.mark.parametrize(("table", "column"), EVENT_DATES, ids=[f"{t}.{c}" for t, c in EVENT_DATES])
def test_event_dates_are_within_the_history(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    first = f"DATE '{DEMO_START.replace(day=1)}'" if (table, column) in MONTHLY else START
    assert rows(con, f"SELECT count(*) FROM {table} WHERE {column} < {first} OR {column} > {END}") == [(0,)]


@pytest.mark.parametrize(("table", "column"), NOT_AFTER_END, ids=[f"{t}.{c}" for t, c in NOT_AFTER_END])
def test_start_dates_are_not_after_the_end(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    assert rows(con, f"SELECT count(*) FROM {table} WHERE {column} > {END}") == [(0,)]


@pytest.mark.parametrize("name", list(INVARIANTS))
def test_invariant(con: duckdb.DuckDBPyConnection, name: str) -> None:
    broken = rows(con, f"SELECT * FROM ({INVARIANTS[name]}) LIMIT 5")
    assert broken == [], name


@pytest.mark.parametrize("month", [date(2024, 6, 1), date(2026, 10, 1)])
def test_headcount_matches_a_hand_count(con: duckdb.DuckDBPyConnection, month: date) -> None:
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    employees = rows(con, "SELECT department, location, hired_on, left_on, leave_type FROM employees")
    counts: dict[tuple[str, str], list[int]] = {}
    for department, location, hired, left, leave_type in employees:
        assert isinstance(hired, date) and (left is None or isinstance(left, date))
        c = counts.setdefault((str(department), str(location)), [0, 0, 0, 0, 0])
        c[0] += hired < month and (left is None or left >= month)
        c[1] += month <= hired < next_month
        c[2] += left is not None and month <= left < next_month
        c[3] += left is not None and month <= left < next_month and leave_type == "voluntary"
        c[4] += hired < next_month and (left is None or left >= next_month)
    table = rows(
        con,
        "SELECT department, location, headcount_start, hires, leavers, voluntary_leavers, headcount_end"
        f" FROM headcount_monthly WHERE month = DATE '{month}'",
    )
    assert {(str(r[0]), str(r[1])): list(r[2:]) for r in table} == counts


def test_member_months_match_the_memberships(con: duckdb.DuckDBPyConnection) -> None:
    month, last = "DATE '2025-06-01'", "DATE '2025-06-30'"
    expected = f"""
        SELECT {month} AS month, membership_id, plan, region,
            started_on < {month} AND coalesce(cancelled_on >= {month}, true) AS active_at_start,
            started_on BETWEEN {month} AND {last} AS joined,
            coalesce(cancelled_on BETWEEN {month} AND {last}, false) AS cancelled,
            coalesce(cancelled_on > {last}, true) AS active_at_end,
            CASE WHEN coalesce(cancelled_on > {last}, true) THEN monthly_fee ELSE 0 END AS mrr
        FROM club_memberships
        WHERE started_on <= {last} AND coalesce(cancelled_on >= {month}, true)"""
    actual = f"SELECT * FROM club_member_months WHERE month = {month}"
    assert rows(con, f"SELECT count(*) FROM (({expected}) EXCEPT ({actual}))") == [(0,)]
    assert rows(con, f"SELECT count(*) FROM (({actual}) EXCEPT ({expected}))") == [(0,)]
    assert value(con, f"SELECT count(*) FROM ({actual})") > 1_000


# --- the story ------------------------------------------------------------------------------------


def test_growth_and_seasons(con: duckdb.DuckDBPyConnection) -> None:
    by_year = dict(rows(con, "SELECT year(order_date), count(*) FROM orders GROUP BY ALL"))
    assert 1.12 <= by_year[2025] / by_year[2024] <= 1.3
    customers = dict(rows(con, "SELECT year(order_date), count(*) FROM orders WHERE is_first_order GROUP BY ALL"))
    assert 1.12 <= customers[2025] / customers[2024] <= 1.3

    def per_day(months: str) -> float:
        return value(
            con,
            f"SELECT count(*) / count(DISTINCT order_date) FROM orders"
            f" WHERE year(order_date) = 2025 AND month(order_date) IN ({months})",
        )

    winter, summer, spring = per_day("11, 12"), per_day("5, 6, 7"), per_day("2, 3")
    assert winter > summer * 1.05 and summer > spring * 1.3
    weekday, weekend = rows(
        con,
        "SELECT avg(n) FILTER (WHERE dayofweek(order_date) BETWEEN 1 AND 5), avg(n) FILTER (WHERE dayofweek(order_date) IN (0, 6))"
        " FROM (SELECT order_date, count(*) AS n FROM orders WHERE year(order_date) = 2025 GROUP BY ALL)",
    )[0]
    assert float(weekend) < float(weekday)  # type: ignore[arg-type]


def test_checkout_outage(con: duckdb.DuckDBPyConnection) -> None:
    outage = value(con, "SELECT count(*) FROM orders WHERE order_date = DATE '2025-03-11'")
    usual = value(
        con,
        "SELECT count(*) / 4 FROM orders WHERE order_date IN"
        " (DATE '2025-02-25', DATE '2025-03-04', DATE '2025-03-18', DATE '2025-03-25')",
    )
    assert outage < 0.6 * usual
    sev1 = rows(
        con,
        "SELECT downtime_minutes, customer_facing FROM system_incidents"
        " WHERE system = 'checkout' AND severity = 'sev1' AND started_on = DATE '2025-03-11'",
    )
    assert len(sev1) == 1 and 330 <= float(sev1[0][0]) <= 400 and sev1[0][1] is True  # type: ignore[arg-type]
    march = value(
        con,
        "SELECT 1 - sum(minutes_down) / sum(minutes_total) FROM system_uptime_daily"
        " WHERE system = 'checkout' AND date_trunc('month', \"date\") = DATE '2025-03-01'",
    )
    assert march < 0.995


def test_line_b_faulty_batch_and_tent_returns(con: duckdb.DuckDBPyConnection) -> None:
    def defect_rate(first: str, last: str, line: str = "Line B") -> float:
        return value(
            con,
            f"SELECT sum(defective_units) / sum(produced_units) FROM production_runs"
            f" WHERE line = '{line}' AND run_date BETWEEN DATE '{first}' AND DATE '{last}'",
        )

    before = defect_rate("2025-07-01", "2025-08-31")
    assert 0.01 <= before <= 0.02
    assert defect_rate("2025-09-01", "2025-09-21") >= 2.5 * before
    assert defect_rate("2025-09-01", "2025-09-21", "Line A") < 1.5 * defect_rate("2025-07-01", "2025-08-31", "Line A")

    def tent_returns(first: str, last: str) -> float:
        return value(
            con,
            "SELECT avg((o.status = 'returned')::INT) FROM orders AS o WHERE o.status <> 'cancelled'"
            f" AND o.order_date BETWEEN DATE '{first}' AND DATE '{last}' AND EXISTS (SELECT 1 FROM order_items AS i"
            " JOIN products AS p USING (product_id) WHERE i.order_id = o.order_id AND p.category = 'Tents')",
        )

    assert tent_returns("2025-10-01", "2025-10-31") > 1.8 * tent_returns("2025-01-01", "2025-06-30")


def test_migration_and_new_carrier(con: duckdb.DuckDBPyConnection) -> None:
    on_time = {
        str(m): float(r)  # type: ignore[arg-type]
        for m, r in rows(
            con,
            "SELECT strftime(shipped_on, '%Y-%m'), avg(on_time::INT) FROM deliveries"
            " WHERE delivered_on IS NOT NULL GROUP BY ALL",
        )
    }
    assert on_time.pop("2026-02") < 0.8
    on_time.pop(f"{DEMO_END:%Y-%m}")  # still arriving
    assert min(on_time.values()) > 0.9
    assert 0.92 <= sum(on_time.values()) / len(on_time) <= 0.96

    def north_america(first: str, last: str) -> float:
        return value(
            con,
            "SELECT avg(on_time::INT) FROM deliveries WHERE region = 'North America'"
            f" AND shipped_on BETWEEN DATE '{first}' AND DATE '{last}' AND delivered_on IS NOT NULL",
        )

    assert north_america("2026-06-01", "2026-10-31") > north_america("2025-06-01", "2025-10-31") + 0.02
    assert value(con, "SELECT count(*) FROM deliveries WHERE carrier = 'NorthFreight'") > 1_000
    assert rows(
        con, "SELECT count(*) FROM deliveries WHERE carrier = 'NorthFreight' AND shipped_on < DATE '2026-06-01'"
    ) == [(0,)]

    def delivery_tickets(first: str, last: str) -> float:
        return value(
            con,
            "SELECT count(*) FROM support_tickets WHERE category = 'delivery'"
            f" AND created_on BETWEEN DATE '{first}' AND DATE '{last}'",
        )

    assert delivery_tickets("2026-02-02", "2026-02-22") > 1.7 * delivery_tickets("2026-01-05", "2026-01-25")

    def email_response(first: str, last: str) -> float:
        return value(
            con,
            "SELECT median(first_response_minutes) FROM support_tickets WHERE channel = 'email'"
            f" AND created_on BETWEEN DATE '{first}' AND DATE '{last}'",
        )

    assert email_response("2026-02-02", "2026-02-22") > 1.3 * email_response("2026-01-05", "2026-01-25")


def test_the_recent_slump(con: duckdb.DuckDBPyConnection) -> None:
    def conversion(device: str, first: str, last: str) -> float:
        return value(
            con,
            "SELECT sum(orders) / sum(sessions) FROM web_traffic_daily"
            f" WHERE device = '{device}' AND \"date\" BETWEEN DATE '{first}' AND DATE '{last}'",
        )

    # the same weeks a year before (364 days: the same weekdays)
    mobile_now, mobile_then = (
        conversion("mobile", "2026-09-07", "2026-11-18"),
        conversion("mobile", "2025-09-08", "2025-11-19"),
    )
    assert mobile_now < 0.9 * mobile_then
    assert mobile_now > 0.75 * mobile_then
    desktop_now, desktop_then = (
        conversion("desktop", "2026-09-07", "2026-11-18"),
        conversion("desktop", "2025-09-08", "2025-11-19"),
    )
    assert mobile_now / mobile_then < desktop_now / desktop_then  # mostly on mobile
    assert 0.9 * conversion("mobile", "2026-06-29", "2026-09-06") < conversion("mobile", "2025-06-30", "2025-09-07")

    def autumn(table: str, measure: str, day: str, year: int) -> float:
        return value(
            con, f"SELECT {measure} FROM {table} WHERE {day} BETWEEN DATE '{year}-10-01' AND DATE '{year}-11-18'"
        )

    orders_now, orders_then = (
        autumn("orders", "count(*)", "order_date", 2026),
        autumn("orders", "count(*)", "order_date", 2025),
    )
    sessions_now, sessions_then = (
        autumn("web_traffic_daily", "sum(sessions)", '"date"', 2026),
        autumn("web_traffic_daily", "sum(sessions)", '"date"', 2025),
    )
    assert orders_now < 1.15 * orders_then  # behind the plan's growth ...
    assert sessions_now > 1.12 * sessions_then  # ... while traffic keeps growing
    revenue = "sum(subtotal - discount) FILTER (WHERE status <> 'cancelled')"
    assert autumn("orders", revenue, "order_date", 2026) < 1.15 * autumn("orders", revenue, "order_date", 2025)

    def paid(month: str) -> float:
        return value(
            con,
            "SELECT sum(spend) FROM marketing_spend WHERE channel IN ('paid_search', 'paid_social', 'display')"
            f" AND strftime(\"date\", '%Y-%m') = '{month}'",
        )

    assert paid("2026-10") > 1.3 * paid("2026-08")
    assert paid("2026-10") > 1.5 * paid("2025-10")

    def cost_per_new_customer(month: str) -> float:
        spend = value(con, f"SELECT sum(spend) FROM marketing_spend WHERE strftime(\"date\", '%Y-%m') = '{month}'")
        first = value(
            con, f"SELECT count(*) FROM orders WHERE is_first_order AND strftime(order_date, '%Y-%m') = '{month}'"
        )
        return spend / first

    assert cost_per_new_customer("2026-10") > 1.3 * cost_per_new_customer("2025-10")
    per_euro = "sum(new_customers) / sum(spend)"
    paid_rows = "channel IN ('paid_search', 'paid_social', 'display')"
    assert value(
        con, f"SELECT {per_euro} FROM marketing_spend WHERE {paid_rows} AND strftime(\"date\", '%Y-%m') = '2026-10'"
    ) < 0.8 * value(
        con, f"SELECT {per_euro} FROM marketing_spend WHERE {paid_rows} AND strftime(\"date\", '%Y-%m') = '2026-08'"
    )


def test_support_agents_leave_in_october_2026(con: duckdb.DuckDBPyConnection) -> None:
    leavers = rows(
        con,
        "SELECT leave_type FROM employees WHERE department = 'Support'"
        " AND left_on BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'",
    )
    assert len(leavers) == 2

    def response(month: str, what: str) -> float:
        return value(
            con,
            f"SELECT {what} FROM support_tickets WHERE strftime(created_on, '%Y-%m') = '{month}'",
        )

    for what in ("median(first_response_minutes) FILTER (WHERE channel = 'email')", "avg(first_response_minutes)"):
        assert response("2026-10", what) > 1.15 * response("2026-08", what)
        assert response("2026-11", what) > 1.15 * response("2026-08", what)


def test_club_churn_ticks_up_in_autumn_2026(con: duckdb.DuckDBPyConnection) -> None:
    churn = "count(*) FILTER (WHERE active_at_start AND cancelled) / count(*) FILTER (WHERE active_at_start)"
    usual = value(con, f"SELECT {churn} FROM club_member_months WHERE year(month) = 2025")
    autumn = value(con, f"SELECT {churn} FROM club_member_months WHERE month IN (DATE '2026-09-01', DATE '2026-10-01')")
    assert usual * 1.1 < autumn < usual * 2
    assert 0.01 < usual < 0.04


def test_healthy_kpis(con: duckdb.DuckDBPyConnection) -> None:
    in_2025 = "year(created_on) = 2025"
    assert 4.2 <= value(con, f"SELECT avg(csat_score) FROM support_tickets WHERE {in_2025}") <= 4.4
    assert 0.25 <= value(con, f"SELECT avg((csat_score IS NOT NULL)::INT) FROM support_tickets WHERE {in_2025}") <= 0.35
    assert 0.7 <= value(con, f"SELECT avg(resolved_first_contact::INT) FROM support_tickets WHERE {in_2025}") <= 0.78
    uptime = rows(
        con,
        "SELECT strftime(\"date\", '%Y-%m') AS m, 1 - sum(minutes_down) / sum(minutes_total) FROM system_uptime_daily"
        " GROUP BY ALL HAVING m NOT IN ('2025-03', '2026-02')",
    )
    assert min(float(u) for _, u in uptime) >= 0.999  # type: ignore[arg-type]
    turnover = value(
        con,
        "SELECT avg(rate) FROM (SELECT month, sum(leavers) / ((sum(headcount_start) + sum(headcount_end)) / 2) AS rate"
        " FROM headcount_monthly GROUP BY ALL)",
    )
    assert 0.008 <= turnover <= 0.016
    margins = rows(
        con,
        "SELECT date_trunc('month', o.order_date), 1 - sum(i.cost) / sum(i.revenue)"
        " FROM order_items AS i JOIN orders AS o USING (order_id) WHERE o.status <> 'cancelled' GROUP BY ALL",
    )
    assert all(0.45 <= float(m) <= 0.55 for _, m in margins)  # type: ignore[arg-type]
    stockouts = value(con, "SELECT avg(stockout::INT) FROM inventory_snapshots")
    assert 0.003 <= stockouts <= 0.05
    visits = rows(
        con,
        "SELECT avg(throughput_minutes), avg(readmitted_within_30d::INT), avg(satisfaction_score),"
        " avg((satisfaction_score IS NOT NULL)::INT) FROM clinic_visits",
    )[0]
    throughput, readmitted, satisfaction, answered = (float(v) for v in visits)  # type: ignore[arg-type]
    assert (
        60 <= throughput <= 150 and 0.08 <= readmitted <= 0.12 and 7 <= satisfaction <= 9 and 0.35 <= answered <= 0.45
    )


def test_deliveries_still_under_way_at_the_end(con: duckdb.DuckDBPyConnection) -> None:
    assert value(con, "SELECT count(*) FROM deliveries WHERE delivered_on IS NULL") > 0
    assert rows(
        con, "SELECT count(*) FROM support_tickets WHERE resolved_at IS NULL AND created_on < DATE '2026-10-01'"
    ) == [(0,)]


# --- determinism ---------------------------------------------------------------------------------


def checksums(path: Path) -> dict[str, tuple[object, ...]]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return {t: connection.execute(f'SELECT count(*), sum(hash(t)) FROM "{t}" AS t').fetchall()[0] for t in TABLES}
    finally:
        connection.close()


def test_generating_again_gives_the_same_data(demo_db: Path, tmp_path: Path) -> None:
    started = time.perf_counter()
    again = demo_data.generate(tmp_path / "nested" / "again.duckdb")
    print(f"generate() took {time.perf_counter() - started:.1f} s")
    assert again == tmp_path / "nested" / "again.duckdb"
    assert checksums(again) == checksums(demo_db)
    demo_data.generate(again)  # replaces an existing file
    assert checksums(again) == checksums(demo_db)
