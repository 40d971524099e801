"""Filters on dimensions of joined datasets, on the measure's own columns, and per metric.

An engine that drops a filter it cannot place, applies a metric's filter to every
metric of the query, or filters after aggregating gives a plausible total
(often the unfiltered one, 476 here) instead of an error.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

DATA = """
create table regions (code varchar, manager varchar);
insert into regions values ('EU', 'Ann'), ('US', 'Bob'), ('APAC', 'Ann');

create table customers (customer_id integer, cust_region varchar, cust_segment varchar);
insert into customers values (1, 'EU', 'smb'), (2, 'US', 'ent'), (3, 'APAC', null), (4, 'EU', null);

create table orders (order_id integer, customer_id integer, order_date date, channel_code varchar);
insert into orders values
    (1, 1, date '2024-01-10', 'web'),
    (2, 2, date '2024-01-15', 'store'),
    (3, 3, date '2024-02-01', 'web'),
    (4, 4, date '2024-02-20', 'store'),
    (5, 1, date '2024-03-05', 'store');

-- per order: o1 70 (EU), o2 150 (US), o3 5 (APAC), o4 51 (EU), o5 200 (EU); all 476 over 9 lines
create table lines (line_id integer, order_id integer, amount decimal(10, 2), product varchar);
insert into lines values
    (1, 1, 10, 'A'), (2, 1, 60, 'B'),
    (3, 2, 20, 'A'), (4, 2, 30, 'A'), (5, 2, 100, 'B'),
    (6, 3, 5, 'B'),
    (7, 4, 50, 'A'), (8, 4, 1, 'B'),
    (9, 5, 200, 'A');
"""

MODELS = """
datasets:
  - name: lines
    table: lines
    time: order_date
    keys:
      - {name: order, column: order_id}
    dimensions:
      - {name: product, column: product}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: line_count, agg: count}
      - {name: big_lines, agg: count, filter: "amount >= 50"}
  - name: orders
    table: orders
    keys:
      - {name: order, column: order_id, primary: true}
      - {name: customer, column: customer_id}
    dimensions:
      - {name: order_date, column: order_date, type: time}
      - {name: channel, column: channel_code}
  - name: customers
    table: customers
    keys:
      - {name: customer, column: customer_id, primary: true}
      - {name: region_key, column: cust_region}
    dimensions:
      - {name: region, column: cust_region}
      - {name: segment, column: cust_segment}
  - name: regions
    table: regions
    keys:
      - {name: region_key, column: code, primary: true}
    dimensions:
      - {name: manager, column: manager}
metrics:
  - {name: revenue, measure: lines.revenue}
  - {name: lines, measure: lines.line_count}
  - {name: big_lines, measure: lines.big_lines}
  - {name: eu_revenue, dataset: lines, agg: sum, expr: amount, filter: "region = 'EU'"}
  - {name: web_revenue, dataset: lines, agg: sum, expr: amount, filter: "channel = 'web'"}
  - {name: big_line_revenue, dataset: lines, agg: sum, expr: amount, filter: "amount >= 50"}
  - {name: big_line_share, type: ratio, numerator: big_lines, denominator: lines}
  - {name: eu_share, type: ratio, numerator: eu_revenue, denominator: revenue}
"""

JAN, MAR = d("2024-01-01"), d("2024-03-31")


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project(DATA, MODELS)


@pytest.mark.parametrize(
    ("where", "revenue", "lines"),
    [
        # two hops: lines -> orders -> customers
        ("region = 'EU'", 321.0, 5),  # o1 70 + o4 51 + o5 200
        ("region in ('EU', 'APAC')", 326.0, 6),  # 321 + o3 5
        ("region not in ('EU', 'APAC')", 150.0, 3),  # o2 only
        ("segment is null", 56.0, 3),  # customers 3 and 4: o3 5 + o4 51
        ("segment is not null and channel = 'web'", 70.0, 2),  # o1
        # three hops: lines -> orders -> customers -> regions
        ("manager = 'Ann'", 326.0, 6),  # EU and APAC
        # one hop, dates
        ("order_date >= date '2024-02-01'", 256.0, 4),  # o3 5 + o4 51 + o5 200
        ("order_date between date '2024-01-15' and date '2024-02-01'", 155.0, 4),  # o2 150 + o3 5
        ("channel = 'store' and order_date < date '2024-03-01'", 201.0, 5),  # o2 150 + o4 51
        # the measure's own columns
        ("amount >= 50", 410.0, 4),  # 60 + 100 + 50 + 200
        ("product = 'A' and region = 'EU'", 260.0, 3),  # 10 + 50 + 200
    ],
)
def test_query_where(project: SoundProject, where: str, revenue: float, lines: int) -> None:
    table = project.query(["revenue", "lines"], where=where)
    assert_table(table, ["revenue", "lines"], [(revenue, lines)])


def test_query_where_matches_hand_written_sql(project: SoundProject) -> None:
    table = project.query(["revenue"], where="region = 'EU' and channel = 'store'")
    expected = project.reference(
        """
        select sum(l.amount)::double from lines l join orders o using (order_id) join customers c using (customer_id)
        where c.cust_region = 'EU' and o.channel_code = 'store'
        """
    )
    assert expected == [(251.0,)]  # o4 51 + o5 200
    assert_table(table, ["revenue"], expected)


def test_metric_filters_apply_to_their_metric_only(project: SoundProject) -> None:
    metrics = ["revenue", "eu_revenue", "web_revenue", "big_line_revenue"]
    table = project.query(metrics, dimensions=["region"])
    assert_table(
        table,
        ["region", *metrics],
        [
            ("APAC", 5.0, 0.0, 5.0, 0.0),  # o3 is a web order of 5
            ("EU", 321.0, 321.0, 70.0, 310.0),  # web: o1 70; big lines: 60 + 50 + 200
            ("US", 150.0, 0.0, 0.0, 100.0),
        ],
    )


def test_metric_filter_and_query_where_combine(project: SoundProject) -> None:
    metrics = ["revenue", "eu_revenue", "web_revenue", "big_line_revenue"]
    table = project.query(metrics, where="channel = 'store'")
    # store orders: o2 150 (US), o4 51 (EU), o5 200 (EU); EU: 51 + 200; big lines: 100 + 50 + 200
    assert_table(table, metrics, [(401.0, 251.0, 0.0, 350.0)])


def test_filtered_ratios(project: SoundProject) -> None:
    total = project.query(["big_line_share", "eu_share"])
    # 4 big lines of 9 (counting every row: 9 / 9); EU revenue 321 of 476
    assert_table(total, ["big_line_share", "eu_share"], [(4 / 9, 321 / 476)])
    eu = project.query(["big_line_share"], where="region = 'EU'")
    # EU lines: 10, 60, 50, 1, 200 -> 3 of 5
    assert_table(eu, ["big_line_share"], [(0.6,)])
    monthly = project.query(["eu_revenue", "revenue", "eu_share"], grain="month", start=JAN, end=MAR)
    assert_table(
        monthly,
        ["period", "eu_revenue", "revenue", "eu_share"],
        [
            (d("2024-01-01"), 70.0, 220.0, 70 / 220),  # o1 70 of o1 + o2
            (d("2024-02-01"), 51.0, 56.0, 51 / 56),  # o4 51 of o3 + o4
            (d("2024-03-01"), 200.0, 200.0, 1.0),
        ],
    )


def test_where_by_month_on_a_joined_dimension(project: SoundProject) -> None:
    table = project.query(["revenue"], grain="month", start=JAN, end=MAR, where="region = 'EU'")
    assert_table(
        table,
        ["period", "revenue"],
        [(d("2024-01-01"), 70.0), (d("2024-02-01"), 51.0), (d("2024-03-01"), 200.0)],
    )
