"""A manual metric asked at another grain than its own: rolled up as its KPIs roll it up, or refused.

Found by probing the served demo: ``GET /api/metrics/employee_engagement/observations?grain=year``
(a quarterly manual metric) answered 200 with no rows, and so did the same call without a grain
(it defaulted to month), while a yearly KPI on the metric showed the year's value. The values
expected here are added up by hand from the values pushed.
"""

from __future__ import annotations

import pytest
from tests.api.conftest import Site

# ad_spend: a manual metric entered by month, summed over time (over_time: sum, its default)
PUSHED = {"1998-01-01": 10.0, "1998-02-01": 20.0, "1998-03-01": 5.0, "1998-04-01": 7.5, "1998-11-01": 1.0}


@pytest.fixture
def pushed(site: Site) -> Site:
    admin = site.login("admin")  # an editor enters their own department's values only
    body = {"observations": [{"period": p, "value": v} for p, v in PUSHED.items()]}
    answer = admin.post("/api/metrics/ad_spend/observations", json=body)
    assert answer.status_code in (200, 201), answer.text
    return site


def _values(answer_json: dict) -> dict[str, float]:
    return {row["period"]: row["value"] for row in answer_json["rows"]}


def test_without_a_grain_a_manual_metric_is_shown_by_its_own(pushed: Site) -> None:
    answer = pushed.login("viewer").get("/api/metrics/ad_spend/observations")
    assert answer.status_code == 200, answer.text
    assert answer.json()["grain"] == "month"
    assert _values(answer.json()) == PUSHED
    daily = pushed.login("viewer").get("/api/metrics/field_visits/observations")  # entered by day
    assert daily.status_code == 200 and daily.json()["grain"] == "day", daily.text


def test_by_quarter_and_year_the_months_are_summed(pushed: Site) -> None:
    viewer = pushed.login("viewer")
    quarters = viewer.get("/api/metrics/ad_spend/observations", params={"grain": "quarter"}).json()
    # by hand: Q1 10 + 20 + 5, Q2 7.5, Q4 1
    assert _values(quarters) == {"1998-01-01": 35.0, "1998-04-01": 7.5, "1998-10-01": 1.0}
    assert quarters["partial_periods"] == ["1998-10-01"]  # December is not entered yet
    years = viewer.get("/api/metrics/ad_spend/observations", params={"grain": "year"}).json()
    assert _values(years) == {"1998-01-01": 43.5}
    assert years["partial_periods"] == ["1998-01-01"]
    # a range that cuts a period values it from the entries inside the range only (as by month)
    cut = viewer.get("/api/metrics/ad_spend/observations", params={"grain": "quarter", "start": "1998-02-01"}).json()
    assert _values(cut) == {"1998-01-01": 25.0, "1998-04-01": 7.5, "1998-10-01": 1.0}  # by hand: 20 + 5
    assert cut["partial_periods"] == ["1998-01-01", "1998-10-01"]
    months = viewer.get("/api/metrics/ad_spend/observations", params={"start": "1998-02-01", "end": "1998-04-30"})
    assert sum(_values(months.json()).values()) == 32.5  # the same entries by the metric's own grain
    ended = viewer.get("/api/metrics/ad_spend/observations", params={"grain": "year", "end": "1998-06-30"}).json()
    assert _values(ended) == {"1998-01-01": 42.5}  # January to April: November is after the end
    assert ended["partial_periods"] == ["1998-01-01"]


def test_a_filter_on_a_manual_metric_is_refused(pushed: Site) -> None:
    answer = pushed.login("viewer").get(
        "/api/metrics/ad_spend/observations", params={"grain": "year", "where": "region = 'EUROPE'"}
    )
    assert answer.status_code == 400, answer.text
    assert "entered by hand" in answer.json()["detail"]


def test_a_default_grain_its_entries_do_not_fit_in_is_not_the_shown_grain() -> None:
    from onpace.catalog import models as m
    from onpace.services.explore import grain_of

    quarterly = {"name": "nps", "type": "manual", "grain": "quarter"}
    adapter = m.ManualMetric.model_validate
    assert grain_of(adapter({**quarterly, "default_grain": "month"})) == m.Grain.quarter
    assert grain_of(adapter({**quarterly, "default_grain": "year"})) == m.Grain.year
    assert grain_of(adapter(quarterly)) == m.Grain.quarter


@pytest.mark.parametrize("grain", ["day", "week"])
def test_a_grain_its_months_do_not_fit_in_is_refused(pushed: Site, grain: str) -> None:
    answer = pushed.login("viewer").get("/api/metrics/ad_spend/observations", params={"grain": grain})
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert "entered by month" in detail and "quarter" in detail and "fiscal_year" in detail


def test_the_metric_page_shows_the_years_sum(pushed: Site) -> None:
    page = pushed.login("viewer").get("/metrics/ad_spend", params={"grain": "year"})
    assert page.status_code == 200
    assert "43.5" in page.text


def test_the_metric_page_offers_only_the_grains_it_can_show(pushed: Site) -> None:
    """Regression: the grain picker of a monthly manual metric offered day and week, which answer 400."""
    import re

    page = pushed.login("viewer").get("/metrics/ad_spend").text
    picker = page[page.index('data-testid="grain"') :]
    picker = picker[: picker.index("</select>")]
    offered = re.findall(r"<option[^>]*>([a-z_]+)</option>", picker)
    assert "month" in offered and "quarter" in offered and "year" in offered
    assert "day" not in offered and "week" not in offered
    viewer = pushed.login("viewer")
    for grain in offered:  # every grain offered answers
        assert viewer.get("/metrics/ad_spend", params={"grain": grain}).status_code == 200, grain
    computed = viewer.get("/metrics/revenue").text  # a computed metric: every grain
    computed = computed[computed.index('data-testid="grain"') :]
    assert "day" in re.findall(r"<option[^>]*>([a-z_]+)</option>", computed[: computed.index("</select>")])


@pytest.mark.parametrize(
    ("value", "says"),
    [("true", "valid number"), ('"12"', "valid number"), ("NaN", "finite number"), ("null", "valid number")],
)
def test_a_pushed_value_that_is_not_a_number_is_refused(site: Site, value: str, says: str) -> None:
    """Regression: a JSON true was stored as 1.0 and judged in the KPIs on the metric."""
    admin = site.login("admin")
    body = '{"observations": [{"period": "1998-07-01", "value": ' + value + "}]}"
    answer = admin.post(
        "/api/metrics/ad_spend/observations", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert "value" in answer.text and says in answer.text
    stored = admin.get("/api/metrics/ad_spend/observations", params={"start": "1998-07-01", "end": "1998-07-31"})
    assert stored.json()["rows"] in ([], [{"period": "1998-07-01", "value": None}])  # nothing written


def test_a_misspelt_key_of_a_pushed_value_is_named(site: Site) -> None:
    answer = site.login("admin").post(
        "/api/metrics/ad_spend/observations", json={"observations": [{"period": "1998-07-01", "vaule": 3}]}
    )
    assert answer.status_code == 422 and "vaule" in answer.text
