"""Item 3 of issue 13: one value must never break every refresh.

An editor imported `employee_engagement,9999-10-01,1`: the answer was 500 but the row was
committed, and from then on every refresh failed (`AssertionError: unreachable` in the calendar)
and every import answered 500. Now dates outside the range onpace supports are refused by every
write (CSV import, API push, CLI, the store itself) before anything is committed, and a bad value
already in the store (written by an older version) fails only what reads it: the refresh goes on
for every other series and KPI and reports the bad one. A CSV of blank cells is a clear error too.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update
from tests.api.conftest import Site
from typer.testing import CliRunner

from onpace.calendar import FIRST_DATE, LAST_DATE
from onpace.catalog.project import load_project
from onpace.cli.main import app as cli
from onpace.errors import DefinitionError, UserError
from onpace.kpi.instances import kpi_instances
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store import runs
from onpace.store.db import Store
from onpace.store.models import Observation, Series

RANGE = f"{FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}"
FAR = dt.date(9999, 12, 1)  # the first day of a month (and of a quarter's last month): a valid period start
KPI = """kpis:
  - name: ad_spend_quarterly
    metric: ad_spend
    objective: grow_sales
    owner: Head of Marketing
    timeframe: {every: quarter}
    review_cadence: quarterly
    target: {at_least: 1}
"""


def _stored(store: Store, metric: str) -> int:
    with store.session(readonly=True) as s:
        query = select(func.count()).select_from(Observation).join(Series).where(Series.metric == metric)
        return int(s.scalar(query) or 0)


# -- every write refuses a date the calendar cannot use, and commits nothing ---------------------------------
@pytest.mark.parametrize("period", ["9999-12-31", "2200-01-01", "1066-10-14"])
def test_the_csv_import_refuses_an_out_of_range_date_and_writes_nothing(site: Site, period: str) -> None:
    editor = site.login("editor")
    text = f"metric,period,value\nfield_visits,1998-07-01,3\nfield_visits,{period},1\n"
    answer = editor.post("/api/values/import", files={"file": ("visits.csv", text.encode(), "text/csv")})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert "nothing was imported" in body["detail"]
    [issue] = body["issues"]
    assert (issue["line"], issue["path"]) == (3, "period")
    assert period in issue["message"] and RANGE in issue["message"]
    assert _stored(site.workspace.store, "field_visits") == 0  # not even the good row


def test_the_api_push_refuses_an_out_of_range_date_and_writes_nothing(site: Site) -> None:
    editor = site.login("editor")
    body = {"observations": [{"period": "1998-07-01", "value": 2}, {"period": "9999-10-01", "value": 1}]}
    answer = editor.post("/api/metrics/field_visits/observations", json=body)
    assert answer.status_code == 422, answer.text
    assert "9999-10-01" in answer.json()["detail"] and RANGE in answer.json()["detail"]
    assert _stored(site.workspace.store, "field_visits") == 0


def test_the_cli_refuses_an_out_of_range_date_and_writes_nothing(site: Site) -> None:
    csv = site.root / "values.csv"
    csv.write_text("metric,period,value\nad_spend,1998-07-01,5\nad_spend,9999-10-01,1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["values", "import", str(csv), "--project", str(site.root)])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "nothing was imported" in output and "9999-10-01" in output and RANGE in output
    assert "Traceback" not in result.output
    assert _stored(site.workspace.store, "ad_spend") == 0


def test_the_store_refuses_an_out_of_range_period_before_writing_any_row(site: Site) -> None:
    store = site.workspace.store
    with pytest.raises(UserError, match="9999-12-01 is outside the dates onpace supports"), store.session() as s:
        series_id = obs.get_or_create_series(s, "ad_spend", "month", "", "manual")
        obs.write_observations(s, series_id, [(dt.date(1998, 7, 1), 1.0), (FAR, 2.0)])
    assert _stored(store, "ad_spend") == 0


@pytest.mark.parametrize("text", [",,\n,,\n", ",,\n \n,,,\n", '"",""\n'], ids=["commas", "mixed", "quoted"])
def test_a_csv_of_blank_cells_is_a_clear_error(site: Site, text: str) -> None:
    answer = site.login("editor").post("/api/values/import", files={"file": ("blank.csv", text.encode(), "text/csv")})
    assert answer.status_code == 422, answer.text
    assert "no header row" in answer.json()["detail"]


# -- a bad value already stored fails only what reads it ----------------------------------------------------
def _store_bad_rows(store: Store) -> None:
    """Rows an older version wrote without checking: straight into the tables."""
    with store.session() as s:
        manual = obs.get_or_create_series(s, "ad_spend", "month", "", "manual")
        s.add(Observation(series_id=manual, period_start=FAR, value=1.0))
        revenue = obs.get_series(s, "revenue", "month")
        assert revenue is not None and revenue.data_until is not None
        s.add(Observation(series_id=revenue.id, period_start=FAR, value=1.0))
        s.execute(update(Series).where(Series.id.in_([manual, revenue.id])).values(data_until=FAR))


def test_one_bad_stored_value_fails_only_its_kpi_and_the_refresh_goes_on(site: Site) -> None:
    (site.root / "models" / "ad_kpi.yml").write_text(KPI, encoding="utf-8")
    store = site.workspace.store
    _store_bad_rows(store)
    project = load_project(site.root)
    kpis = len(kpi_instances(project))  # a KPI with segment_by has one instance per segment

    result = refresh(project, store, requested_by="test")

    assert result.status == "partial", result.errors
    assert set(result.errors) == {"KPI ad_spend_quarterly"}, result.errors
    reason = result.errors["KPI ad_spend_quarterly"]
    assert "ad_spend" in reason and "9999-12-01" in reason and RANGE in reason
    assert result.evaluated == kpis - 1  # every other KPI was evaluated
    assert result.rows > 0
    with store.session(readonly=True) as s:
        run = runs.get_run(s, result.run_id)
        assert run.status == "partial" and run.errors == result.errors and run.finished_at is not None
        # the engine series with a bad stored period was recomputed in full: the bad row is gone, the data is back
        revenue = obs.read_series(s, "revenue", "month")
        assert FAR not in dict(revenue)
        assert dict(revenue)[dt.date(1998, 7, 1)] is not None
        assert obs.get_series(s, "revenue", "month").data_until == dt.date(1998, 8, 1)  # type: ignore[union-attr]

    # and imports keep working (they answered 500 while the bad value was there)
    admin = site.login("admin")
    answer = admin.post(
        "/api/metrics/ad_spend/observations", json={"observations": [{"period": "1998-07-01", "value": 3}]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["kpis_evaluated"] == kpis - 1


def test_a_named_period_outside_the_range_is_a_definition_error(site: Site) -> None:
    (site.root / "models" / "ad_kpi.yml").write_text(KPI.replace("{every: quarter}", "'2300-Q1'"), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_project(site.root)
    [issue] = caught.value.issues
    assert (issue.line, issue.path) == (6, "kpis[0].timeframe.period")
    assert "2300-Q1" in issue.message and RANGE in str(issue)
