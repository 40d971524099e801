"""Two datasets that share a primary key (``customers`` and ``profiles``, both by ``customer``).

Each is reached from ``orders`` directly by the key. Before, the engine also found the detour
``orders -> customers -> profiles`` and refused every dimension of ``profiles`` as reachable by
two paths (and naming the path did not help: both start with ``customer``). Expected values by
hand and by SQL.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

DATA = """
create table customers (customer_id integer, tier varchar);
insert into customers values (1, 'gold'), (2, 'basic');
create table profiles (customer_id integer, segment varchar);
insert into profiles values (1, 'smb'), (2, 'enterprise'), (3, 'smb');
create table orders (order_id integer, customer_id integer, order_date date, amount double);
insert into orders values
    (1, 1, date '2024-01-02', 10),
    (2, 2, date '2024-01-03', 7),
    (3, 3, date '2024-02-04', 1);  -- customer 3 has a profile, no customers row
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
    dimensions: [{name: tier}]
  - name: profiles
    table: profiles
    keys: [{name: customer, column: customer_id, primary: true}]
    dimensions: [{name: segment}]
metrics:
  - {name: revenue, measure: orders.amount}
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project(DATA, MODELS)


BY_SEGMENT = """
    select p.segment, sum(o.amount)::double from orders o left join profiles p using (customer_id)
    group by 1 order by 1
"""


@pytest.mark.parametrize(
    "dimension",
    ["segment", "customer__segment", "customer.segment", "customer.customer.segment", "customer__customer__segment"],
)
def test_a_dimension_of_the_second_dataset_by_the_shared_key(project: SoundProject, dimension: str) -> None:
    """``customer.customer.segment`` named the detour through ``customers`` before; the key twice in a
    row is one hop, so it names the direct path (was: cannot be reached)."""
    table = project.query(["revenue"], [dimension])
    # by hand: smb = orders 1 and 3 (customer 3 has no customers row, its profile counts)
    assert_table(table, [dimension, "revenue"], [("enterprise", 7.0), ("smb", 11.0)])
    assert_table(table, [dimension, "revenue"], project.reference(BY_SEGMENT))


def test_both_datasets_dimensions_in_one_query_by_month(project: SoundProject) -> None:
    table = project.query(["revenue"], ["tier", "segment"], grain="month")
    expected = project.reference(
        """
        with rows as (
            select date_trunc('month', o.order_date)::date as period, c.tier, p.segment, o.amount
            from orders o left join customers c using (customer_id) left join profiles p using (customer_id)
        )
        -- every period by every combination seen (the engine's contract), 0 where it has no order
        select periods.period, combos.tier, combos.segment, coalesce(sum(r.amount), 0)::double
        from (select distinct period from rows) periods
        cross join (select distinct tier, segment from rows) combos
        left join rows r on r.period = periods.period and r.tier is not distinct from combos.tier
                        and r.segment = combos.segment
        group by all order by 1, 2 nulls last, 3
        """
    )
    assert_table(table, ["period", "tier", "segment", "revenue"], expected)
    rows = {(r["period"], r["tier"], r["segment"]): r["revenue"] for r in table.to_pylist() if r["revenue"]}
    assert rows == {
        (d("2024-01-01"), "gold", "smb"): 10.0,
        (d("2024-01-01"), "basic", "enterprise"): 7.0,
        (d("2024-02-01"), None, "smb"): 1.0,
    }


def test_a_filter_on_the_second_dataset(project: SoundProject) -> None:
    table = project.query(["revenue"], where="segment = 'smb'")
    assert table.to_pylist() == [{"revenue": 11.0}]
