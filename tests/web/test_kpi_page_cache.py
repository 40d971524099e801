"""The KPI page keeps what its evaluations give (verdict, past periods, drivers) per newest evaluation,
as the scorecard keeps its board: a new evaluation written by anyone, a changed definition, and a new
comment, review or annotation all show on the next request. Real requests through the app, real store."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from tests.api.conftest import Site

from onpace.services import backtest, kpi_page
from onpace.store import evaluations

KPI = "quarterly_revenue"


def _status(html: str) -> str:
    found = re.search(r'class="badge status-([a-z_]+)" data-testid="kpi-status"', html)
    assert found, "no status on the KPI page"
    return found.group(1)


def _card_status(html: str, kpi: str) -> str:
    found = re.search(
        rf'data-kpi="{kpi}"[^>]*data-status="([a-z_]+)"|data-status="([a-z_]+)"[^>]*data-kpi="{kpi}"', html
    )
    assert found, f"no card for {kpi}"
    return found.group(1) or found.group(2)


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dt.date | None]]:
    """Each time the page's evaluated part is computed (not served from the cache): (KPI, segment, as-of)."""
    calls: list[tuple[str, str, dt.date | None]] = []
    original: Callable[..., kpi_page.Evaluated] = kpi_page.evaluated

    def counting(ws: Any, name: str, segment: str = "", as_of: dt.date | None = None) -> kpi_page.Evaluated:
        calls.append((name, segment, as_of))
        return original(ws, name, segment, as_of)

    monkeypatch.setattr(kpi_page, "evaluated", counting)
    return calls


def test_a_new_evaluation_shows_on_the_next_request(site: Site, computed: list[Any]) -> None:
    client = site.login("viewer")
    first = client.get(f"/kpis/{KPI}")
    assert first.status_code == 200
    before = _status(first.text)
    again = client.get(f"/kpis/{KPI}")
    assert _status(again.text) == before
    assert computed == [(KPI, "", None)]  # the second view came from the cache

    changed = "on_track" if before != "on_track" else "off_track"
    with site.workspace.store.session() as s:  # as a refresh in another process would
        latest = evaluations.latest_evaluations(s, KPI)[0]
        evaluations.add_evaluation(
            s,
            kpi=KPI,
            as_of=latest.as_of,
            period_start=latest.period_start,
            period_end=latest.period_end,
            status=changed,
            evaluated_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1),
            target=latest.target,
            actual=1_234_567.0,
        )
    page = client.get(f"/kpis/{KPI}")
    assert page.status_code == 200
    assert _status(page.text) == changed
    assert "<b>1,234,567 USD</b>" in page.text  # the new actual to date (revenue: USD, no decimals)
    assert len(computed) == 2
    assert _card_status(client.get("/").text, KPI) == changed  # the scorecard says the same


def test_a_changed_definition_shows_on_the_next_request(site: Site, computed: list[Any]) -> None:
    """revenue_growth asks for +3% on last year: the growth asked for comes from the definition."""
    client = site.login("viewer")
    first = client.get("/kpis/revenue_growth")
    assert first.status_code == 200
    assert re.search(r"Growth asked for</small><b>\+3\.0%</b>", first.text)
    client.get("/kpis/revenue_growth")
    assert len(computed) == 1

    goals = site.root / "models" / "goals.yml"
    text = goals.read_text(encoding="utf-8")
    assert 'target: {change: "+3%", vs: same_period_last_year}' in text
    goals.write_text(text.replace('change: "+3%"', 'change: "+7%"').replace("Revenue growth vs last year", "Growth"))
    page = client.get("/kpis/revenue_growth").text
    assert re.search(r"Growth asked for</small><b>\+7\.0%</b>", page)
    assert "<title>Growth · onpace</title>" in page
    assert len(computed) == 2


def test_comments_reviews_and_annotations_show_on_the_next_request(site: Site, computed: list[Any]) -> None:
    editor = site.login("strategist")
    assert editor.get(f"/kpis/{KPI}").status_code == 200
    posted = [
        editor.post(f"/kpis/{KPI}/comments", data={"body": "Comment 7f3a: the plan looks high"}),
        editor.post(f"/kpis/{KPI}/reviews", data={"assessment": "at_risk", "commentary": "Review 91c2: behind"}),
        editor.post(f"/kpis/{KPI}/annotations", data={"date": "1998-07-15", "label": "Note 5d0e: price change"}),
    ]
    assert [answer.status_code for answer in posted] == [200, 200, 200]
    page = site.login("viewer").get(f"/kpis/{KPI}").text
    for written in ("Comment 7f3a: the plan looks high", "Review 91c2: behind", "Note 5d0e: price change"):
        assert written in page
    assert computed == [(KPI, "", None)]  # notes are read on each view; the evaluated part stayed cached


def test_pages_are_kept_per_kpi_segment_and_as_of_date(site: Site, computed: list[Any]) -> None:
    client = site.login("viewer")
    latest = client.get(f"/kpis/{KPI}").text
    past = client.get(f"/kpis/{KPI}", params={"as_of": "1998-05-31"}).text
    assert 'data-testid="data-until">1998-05-31<' in past
    assert 'data-testid="data-until">1998-05-31<' not in latest
    segments = client.get("/kpis/orders_by_region", params={"segment": "EUROPE"}).text
    assert 'class="chip active" href="?segment=EUROPE"' in segments
    for _ in range(2):
        assert client.get(f"/kpis/{KPI}", params={"as_of": "1998-05-31"}).text == past
    assert computed == [(KPI, "", None), (KPI, "", dt.date(1998, 5, 31)), ("orders_by_region", "EUROPE", None)]


def test_the_web_page_leaves_the_track_record_to_the_api(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page does not show the track record (a backtest, seconds on a big KPI): it does not compute it."""
    calls: list[str] = []
    original = backtest.track_record

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        return original(*args, **kwargs)

    monkeypatch.setattr(backtest, "track_record", counting)
    client = site.login("viewer")
    assert client.get(f"/kpis/{KPI}").status_code == 200
    assert calls == []
    answer = client.get(f"/api/kpis/{KPI}/page").json()
    assert calls == [KPI]
    assert answer["track_record"]["kpi"] == KPI


def test_the_kept_page_shows_the_stored_evaluation(site: Site) -> None:
    """The numbers of a page served from the cache are the newest evaluation's, read here by hand."""
    client = site.login("viewer")
    client.get(f"/kpis/{KPI}")  # kept now
    with sqlite3.connect(site.root / ".onpace" / "store.db") as db:
        actual, target, status = db.execute(
            "SELECT actual, target, status FROM kpi_evaluations WHERE kpi = ? AND segment = '' ORDER BY id DESC LIMIT 1",
            (KPI,),
        ).fetchone()
    page = client.get(f"/kpis/{KPI}").text
    assert _status(page) == status
    assert f"<small>Actual to date</small><b>{actual:,.0f} USD</b>" in page
    assert f"<small>Target (1998-Q3)</small><b>{target:,.0f} USD</b>" in page
