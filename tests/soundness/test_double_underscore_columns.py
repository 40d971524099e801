"""A column whose name holds '__' is a column, in a query's where too, not a dimension through keys.

'utm__source' is not the dimension 'source' reached through a key 'utm' (there is no such key),
and where a key 'campaign' exists, a column 'campaign__source' of the dataset is still meant
rather than the dimension 'source' through it. Expected values by hand.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, d

DATA = """
create table campaigns (campaign_id integer, source varchar);
insert into campaigns values (1, 'google'), (2, 'newsletter');
create table visits (day date, campaign_id integer, source varchar, utm__source varchar, campaign__source varchar);
insert into visits values
    (date '2024-01-01', 1, 'ads', 'google', 'x'),
    (date '2024-01-02', 2, 'ads', 'bing', 'google'),
    (date '2024-01-03', 1, 'mail', 'google', 'google');
"""

MODELS = """
datasets:
  - name: visits
    table: visits
    time: day
    keys: [{name: campaign, column: campaign_id}]
    dimensions: [{name: day, type: time}, {name: channel, column: source}]
    measures: [{name: visits, agg: count}]
  - name: campaigns
    table: campaigns
    keys: [{name: campaign, column: campaign_id, primary: true}]
    dimensions: [{name: source}]
metrics:
  - {name: visits, measure: visits.visits}
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project(DATA, MODELS)


@pytest.mark.parametrize(
    ("where", "visits"),
    [
        ("utm__source = 'google'", 2),  # the column: rows 1 and 3
        ("campaign__source = 'google'", 2),  # the column (rows 2 and 3), not source through campaign (1 and 3)
        ("source = 'google'", 2),  # the dimension source of campaigns: campaign 1, rows 1 and 3
        ("campaign.source = 'newsletter'", 1),  # the dimension through the key, named with '.': row 2
    ],
)
def test_where_on_columns_with_double_underscores(project: SoundProject, where: str, visits: int) -> None:
    table = project.query(["visits"], start=d("2024-01-01"), end=d("2024-01-03"), where=where)
    assert table.to_pylist() == [{"visits": visits}]


def test_the_dimension_through_the_key_by_double_underscores_in_a_breakdown(project: SoundProject) -> None:
    rows = project.query(["visits"], ["campaign__source"]).to_pylist()
    assert {r["campaign__source"]: r["visits"] for r in rows} == {"google": 2, "newsletter": 1}
