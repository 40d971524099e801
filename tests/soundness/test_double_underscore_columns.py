"""A column whose name holds '__' is a column, in a query's where too, unless its parts are keys.

'utm__source' is not the dimension 'source' reached through a key 'utm' (there is no such key).
Where a key 'campaign' exists, 'campaign__source' is the dimension 'source' through it in a
where (dimensions first), as in a breakdown, whatever columns a dataset has: one name, one
meaning in a query. Expected values by hand.
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
        # the dimension through the key (campaign 2: row 2), not the column (no row says newsletter)
        ("campaign__source = 'newsletter'", 1),
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


def test_one_name_one_meaning_across_the_datasets_of_a_query(make_project: MakeProject) -> None:
    # signups has no column campaign__source: the where must mean the same for visits as for it
    data = (
        DATA
        + """
create table signups (day date, campaign_id integer);
insert into signups values (date '2024-01-01', 1), (date '2024-01-02', 2), (date '2024-01-03', 2);
"""
    )
    models = MODELS.replace(
        "metrics:",
        """  - name: signups
    table: signups
    time: signup_day
    keys: [{name: campaign, column: campaign_id}]
    dimensions: [{name: signup_day, column: day, type: time}]
    measures: [{name: signups, agg: count}]
metrics:
  - {name: signups, measure: signups.signups}""",
    )
    project = make_project(data, models)
    rows = project.query(["visits", "signups"], ["campaign__source"], start=d("2024-01-01"), end=d("2024-01-03"),
                         where="campaign__source = 'google'").to_pylist()  # fmt: skip
    # campaign 1 (google): visits on Jan 1 and 3, one signup on Jan 1; no newsletter row under the filter
    assert rows == [{"campaign__source": "google", "visits": 2, "signups": 1}]
