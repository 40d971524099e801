"""A time dimension other than the metric's time, taken at a grain: ``signup_date__month``.

Cohorts: revenue by the month (week, quarter) customers signed up, a dimension of a joined
dataset, grouped and filtered by its period's first day. Expected values by hand and by SQL.
"""

from __future__ import annotations

import pytest

from onpace.errors import QueryError

from .helpers import MakeProject, SoundProject, assert_table, d

DATA = """
create table customers (customer_id integer, signup_date date, tier varchar);
insert into customers values
    (1, date '2024-01-15', 'gold'),   -- a Monday
    (2, date '2024-02-03', 'basic'),  -- a Saturday: week of Mon Jan 29
    (3, date '2024-02-28', 'basic');  -- a Wednesday: week of Mon Feb 26
create table orders (order_id integer, customer_id integer, order_date timestamp, amount double);
insert into orders values
    (1, 1, timestamp '2024-01-20 10:00', 10),
    (2, 1, timestamp '2024-03-01 23:59', 5),
    (3, 2, timestamp '2024-02-05 08:00', 7),
    (4, 3, timestamp '2024-03-03 12:00', 1);
"""

MODELS = """
datasets:
  - name: orders
    table: orders
    time: order_date
    keys: [{name: customer, column: customer_id}]
    dimensions: [{name: order_date, type: time}]
    measures: [{name: amount, agg: sum, expr: amount}]
  - name: customers
    table: customers
    keys: [{name: customer, column: customer_id, primary: true}]
    dimensions:
      - {name: signup_date, type: time}
      - {name: tier}
metrics:
  - {name: revenue, measure: orders.amount}
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project(DATA, MODELS)


def test_revenue_by_signup_month_cohort_and_order_month(project: SoundProject) -> None:
    table = project.query(["revenue"], ["signup_date__month"], grain="month", start=d("2024-01-01"),
                          end=d("2024-03-31"))  # fmt: skip
    assert_table(
        table,
        ["period", "signup_date__month", "revenue"],
        [
            # every period x every cohort seen: 0 where a cohort bought nothing
            (d("2024-01-01"), d("2024-01-01"), 10.0),
            (d("2024-01-01"), d("2024-02-01"), 0.0),
            (d("2024-02-01"), d("2024-01-01"), 0.0),
            (d("2024-02-01"), d("2024-02-01"), 7.0),
            (d("2024-03-01"), d("2024-01-01"), 5.0),  # customer 1, on March 1 at 23:59
            (d("2024-03-01"), d("2024-02-01"), 1.0),  # customer 3
        ],
    )
    expected = project.reference(
        """
        select p::date, c::date, coalesce(sum(o.amount), 0)::double
        from (select distinct date_trunc('month', o.order_date) p from orders o)
        cross join (select distinct date_trunc('month', signup_date) c from customers) k
        left join (select o.*, date_trunc('month', cu.signup_date) cohort from orders o
                   join customers cu using (customer_id)) o
          on date_trunc('month', o.order_date) = p and o.cohort = c
        group by 1, 2 order by 1, 2
        """
    )
    assert_table(table, ["period", "signup_date__month", "revenue"], expected)


@pytest.mark.parametrize(
    ("dimension", "totals"),
    [
        ("signup_date__month", {d("2024-01-01"): 15.0, d("2024-02-01"): 8.0}),
        ("signup_date__week", {d("2024-01-15"): 15.0, d("2024-01-29"): 7.0, d("2024-02-26"): 1.0}),
        ("signup_date__quarter", {d("2024-01-01"): 23.0}),
        ("signup_date__day", {d("2024-01-15"): 15.0, d("2024-02-03"): 7.0, d("2024-02-28"): 1.0}),
        ("order_date__month", {d("2024-01-01"): 10.0, d("2024-02-01"): 7.0, d("2024-03-01"): 6.0}),
        ("customer__signup_date__month", {d("2024-01-01"): 15.0, d("2024-02-01"): 8.0}),  # through the key
    ],
)
def test_totals_by_a_time_dimension_at_each_grain(project: SoundProject, dimension: str, totals: dict) -> None:
    rows = project.query(["revenue"], [dimension]).to_pylist()
    assert {r[dimension]: r["revenue"] for r in rows} == totals


def test_filter_on_a_time_dimension_at_a_grain(project: SoundProject) -> None:
    table = project.query(["revenue"], where="signup_date__month = '2024-02-01'")
    assert table.to_pylist() == [{"revenue": 8.0}]  # customers 2 and 3


def test_a_grain_of_a_dimension_that_is_not_time_is_refused(project: SoundProject) -> None:
    with pytest.raises(QueryError, match="dimension 'tier' is not a time dimension"):
        project.query(["revenue"], ["tier__month"])
    with pytest.raises(QueryError, match="unknown dimension"):
        project.query(["revenue"], ["nothing__month"])


def test_metricflow_metric_time_as_a_dimension_names_the_grain_to_ask_for(project: SoundProject) -> None:
    """A MetricFlow habit (``--group-by metric_time__month``): the error says onpace's period is the grain."""
    with pytest.raises(QueryError) as caught:
        project.query(["revenue"], ["metric_time__month"])
    assert "unknown dimension 'metric_time__month'" in str(caught.value)
    assert "--grain month" in str(caught.value) and "grain=month" in str(caught.value)
    with pytest.raises(QueryError, match="--grain day"):
        project.query(["revenue"], ["metric_time"])
    with pytest.raises(QueryError, match="one of day, week, month, quarter, year, fiscal_quarter, fiscal_year"):
        project.query(["revenue"], ["metric_time__fortnight"])
