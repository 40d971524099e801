"""What changed and why (issue 18): a shop where one region clearly made the change.

Data (DuckDB), every day from 2025-01-01 to 2025-04-10; ``as_of: latest_data`` judges every KPI
as of 2025-04-10, so a quarterly KPI compares 2025-04-01..04-10 with 2025-01-01..01-10 (10 days).

Table ``sales``: one row a day per region and channel, with ``amount``:

============  ====================  =====================
region/chan   up to 2025-03-31      from 2025-04-01
============  ====================  =====================
EU web        5                     60
EU store      5                     40
US web        10                    11
US store      10                    10
ASIA web      3                     2
ASIA store    2                     2
============  ====================  =====================

Over 10 days: before EU 100, US 200, ASIA 50 (350); now EU 1,000, US 210, ASIA 40 (1,250).
The change is +900 (+257.1%): EU +900 (100%), US +10, ASIA -10; by channel web +550
(180 -> 730, 61%), store +350 (170 -> 520). EU's share of the segments' moves by region is
900 / 920, web's by channel 550 / 900: region is named first, then web.

Table ``tickets``: per day, EU 4 tickets (1 late before April, 3 from April) and US 6 tickets
before April, 16 from April (none late). Over 10 days the late rate goes from 10 / 100 = 10% to
30 / 200 = 15%: +5 points, of which EU (20 - 0.1 * 0) / 200 = +10 points (200%) and US
(0 - 0.1 * 100) / 200 = -5 points (-100%).

Drivers of ``q_sales``: tickets 100 -> 200 (+100%, with it), cheap lines (amount < 10)
4 a day -> 2 a day, 40 -> 20 (-50%, against it), lines 6 a day, 60 -> 60 (unchanged).

Table ``orders`` (a metric that filters on a dimension): per day, completed EU orders 10 before
April and 30 from April, completed US orders 20, cancelled EU orders 5; completed orders have no
coupon, cancelled ones the coupon SPRING. ``completed_value`` sums completed orders only: 300 ->
500 over 10 days (+200, +66.7%), EU +200 (100%), US 0. By status only "completed" has a value (the
cancelled segment is 0 in both windows) and by coupon only the rows without one: neither says
anything, so both are skipped although each has two segments.

Table ``units`` (a negligible change): per day, Line A 1,000 units with 10 defects before April and
14 from April, Line B 1,000 units with 15 defects before April and 996 units with 11 defects from
April. Over 10 days the defect rate goes from 250 / 20,000 = 1.25% to 250 / 19,960 = 1.2525%:
+0.0025 pts, under 0.5% of 1.25% (0.00625 pts), so about unchanged. At the metric's 2 decimals both
read 1.25%: with 3, 1.253% vs 1.250%, up 0.003 pts. Line A contributes (40 - 0.0125 * 0) / 19,960
= +0.2004 pts and Line B (-40 - 0.0125 * -40) / 19,960 = -0.1979 pts: they offset each other.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from onpace.catalog.models import Format
from onpace.config import Settings
from onpace.errors import BackendError
from onpace.server import create_app
from onpace.services import auth, kpi_page, scorecard, what_changed_numbers
from onpace.services import what_changed_words as words
from onpace.services.refresh import refresh
from onpace.services.what_changed import what_changed, what_changed_of
from onpace.services.workspace import Workspace

FIRST = dt.date(2025, 1, 1)
APRIL = dt.date(2025, 4, 1)
LAST = dt.date(2025, 4, 10)
PASSWORD = "a long enough password"

PROJECT = """
name: regions
evaluation:
  as_of: latest_data
"""

MODELS = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
      - {name: channel, column: channel}
    measures:
      - {name: sales, agg: sum, expr: amount}
      - {name: lines, agg: count}
      - {name: cheap_lines, agg: count, filter: amount < 10}
  - name: orders
    table: orders
    time: order_day
    dimensions:
      - {name: order_day, column: day, type: time}
      - {name: order_status, column: status}
      - {name: order_region, column: region}
      - {name: coupon, column: coupon}
    measures:
      - {name: completed_value, agg: sum, expr: amount, filter: "status = 'completed'"}
  - name: units
    table: units
    time: unit_day
    dimensions:
      - {name: unit_day, column: day, type: time}
      - {name: line, column: line}
    measures:
      - {name: units, agg: sum, expr: units}
      - {name: defects, agg: sum, expr: defects}
  - name: tickets
    table: tickets
    time: ticket_day
    dimensions:
      - {name: ticket_day, column: day, type: time}
      - {name: ticket_region, column: region}
    measures:
      - {name: tickets, agg: count}
      - {name: late_tickets, agg: count, filter: late = 1}

metrics:
  - {name: sales, label: Sales, measure: sales}
  - {name: lines, label: Lines, measure: lines}
  - {name: cheap_lines, label: Cheap lines, measure: cheap_lines}
  - {name: tickets, label: Tickets, measure: tickets}
  - {name: late_tickets, measure: late_tickets}
  - {name: completed_value, label: Completed value, measure: completed_value}
  - {name: units, label: Units, measure: units}
  - {name: defects, measure: defects}
  - name: defect_rate
    label: Defect rate
    type: ratio
    numerator: defects
    denominator: units
    format: {kind: percent, decimals: 2}
    direction: lower
  - name: late_rate
    label: Late rate
    type: ratio
    numerator: late_tickets
    denominator: tickets
    format: {kind: percent, decimals: 1}
    direction: lower

objectives:
  - {name: grow, owner: CEO}

kpis:
  - name: q_sales
    metric: sales
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 3000}
    drivers: [tickets, cheap_lines, lines]
  - name: q_late
    metric: late_rate
    objective: grow
    owner: Support
    timeframe: quarter
    review_cadence: monthly
    target: {at_most: 0.2}
  - name: q_completed
    metric: completed_value
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 3000}
  - name: q_defects
    metric: defect_rate
    objective: grow
    owner: Plant
    timeframe: quarter
    review_cadence: monthly
    target: {at_most: 0.02}
  - name: by_region
    metric: sales
    segment_by: region
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    targets:
      - {segment: EU, at_least: 1000}
      - {segment: US, at_least: 1000}
  - name: q1_sales
    metric: sales
    objective: grow
    owner: Sales
    timeframe: 2025-Q1
    review_cadence: monthly
    target: {at_least: 1000}
"""

BEFORE = {
    ("EU", "web"): 5,
    ("EU", "store"): 5,
    ("US", "web"): 10,
    ("US", "store"): 10,
    ("ASIA", "web"): 3,
    ("ASIA", "store"): 2,
}
NOW = {
    ("EU", "web"): 60,
    ("EU", "store"): 40,
    ("US", "web"): 11,
    ("US", "store"): 10,
    ("ASIA", "web"): 2,
    ("ASIA", "store"): 2,
}
# (tickets, late) a day per region
TICKETS_BEFORE = {"EU": (4, 1), "US": (6, 0)}
TICKETS_NOW = {"EU": (4, 3), "US": (16, 0)}
# (status, region, coupon): amount a day
ORDERS_BEFORE = {("completed", "EU", None): 10, ("completed", "US", None): 20, ("cancelled", "EU", "SPRING"): 5}
ORDERS_NOW = {("completed", "EU", None): 30, ("completed", "US", None): 20, ("cancelled", "EU", "SPRING"): 5}
# line: (units, defects) a day
UNITS_BEFORE = {"Line A": (1000, 10), "Line B": (1000, 15)}
UNITS_NOW = {"Line A": (1000, 14), "Line B": (996, 11)}

Q_SALES = (
    "Sales this quarter is up 257.1% on the same 10 days of last quarter (1,250 vs 350). "
    "By region, EU contributed most: +900 (100% of the change). "
    "By channel, web contributed most: +550 (61% of the change). "
    "Drivers: Tickets +100.0% (moved with it), Cheap lines -50.0% (moved against it), Lines unchanged."
)


def _days() -> Iterator[dt.date]:
    day = FIRST
    while day <= LAST:
        yield day
        day += dt.timedelta(days=1)


def values(*items: object) -> tuple[object, ...]:
    """The items as plain objects, to compare with ``pytest.approx`` values."""
    return items


def write_data(database: Path) -> None:
    sales = []
    tickets = []
    orders = []
    units = []
    for day in _days():
        amounts = NOW if day >= APRIL else BEFORE
        sales += [(day, region, channel, amount) for (region, channel), amount in amounts.items()]
        counts = TICKETS_NOW if day >= APRIL else TICKETS_BEFORE
        for region, (count, late) in counts.items():
            tickets += [(day, region, 1 if i < late else 0) for i in range(count)]
        placed = ORDERS_NOW if day >= APRIL else ORDERS_BEFORE
        orders += [(day, *key, amount) for key, amount in placed.items()]
        made = UNITS_NOW if day >= APRIL else UNITS_BEFORE
        units += [(day, line, count, defects) for line, (count, defects) in made.items()]
    con = duckdb.connect(str(database))
    try:
        con.execute("CREATE TABLE sales (day DATE, region VARCHAR, channel VARCHAR, amount DOUBLE)")
        con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?)", sales)
        con.execute("CREATE TABLE tickets (day DATE, region VARCHAR, late INTEGER)")
        con.executemany("INSERT INTO tickets VALUES (?, ?, ?)", tickets)
        con.execute("CREATE TABLE orders (day DATE, status VARCHAR, region VARCHAR, coupon VARCHAR, amount DOUBLE)")
        con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", orders)
        con.execute("CREATE TABLE units (day DATE, line VARCHAR, units INTEGER, defects INTEGER)")
        con.executemany("INSERT INTO units VALUES (?, ?, ?, ?)", units)
    finally:
        con.close()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The shop, refreshed once for the module: its tests only read it (the API test adds a user)."""
    root = tmp_path_factory.mktemp("what_changed") / "regions"
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / ".onpace").mkdir()
    (root / "onpace.yml").write_text(textwrap.dedent(PROJECT), encoding="utf-8")
    (root / "models" / "regions.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    write_data(root / "data" / "warehouse.duckdb")
    settings = Settings(
        database_url=f"sqlite:///{(root / '.onpace' / 'store.db').as_posix()}", environment="development"
    )
    ws = Workspace(root, settings)
    try:
        result = refresh(ws.project(), ws.store)
        assert not result.failures, result.failures
        yield ws
    finally:
        ws.close()


def test_the_segment_that_made_the_change_is_named_first_with_its_share(workspace: Workspace) -> None:
    found = what_changed(workspace, "q_sales")

    assert found.current is not None and found.previous is not None
    assert (found.current.start, found.current.end, found.current.days) == (APRIL, LAST, 10)
    assert (found.previous.start, found.previous.end, found.previous.days) == (FIRST, dt.date(2025, 1, 10), 10)
    assert found.value_now == pytest.approx(1250)
    assert found.value_before == pytest.approx(350)
    assert found.change == pytest.approx(900)
    assert found.change_pct == pytest.approx(900 / 350)
    assert found.method == "additive"
    assert found.dimension == "region"
    named: list[object] = [(x.dimension, x.segment, x.delta, x.share) for x in found.contributors]
    assert named == [
        ("region", "EU", pytest.approx(900), pytest.approx(1.0)),
        ("channel", "web", pytest.approx(550), pytest.approx(550 / 900)),
    ]
    eu = found.contributors[0]
    assert values(eu.before, eu.now) == (pytest.approx(100), pytest.approx(1000))
    assert found.note is None
    assert found.paragraph == Q_SALES


def test_drivers_move_with_or_against_the_kpi(workspace: Workspace) -> None:
    found = what_changed(workspace, "q_sales")

    drivers: dict[str, object] = {d.name: (d.before, d.now, d.change_pct, d.moved) for d in found.drivers}
    assert drivers == {
        "tickets": (pytest.approx(100), pytest.approx(200), pytest.approx(1.0), "with"),
        "cheap_lines": (pytest.approx(40), pytest.approx(20), pytest.approx(-0.5), "against"),
        "lines": (pytest.approx(60), pytest.approx(60), pytest.approx(0.0), "flat"),
    }
    assert [d.label for d in found.drivers] == ["Tickets", "Cheap lines", "Lines"]


def test_a_ratio_kpi_is_split_exactly(workspace: Workspace) -> None:
    found = what_changed(workspace, "q_late")

    assert found.method == "ratio"
    assert values(found.value_before, found.value_now) == (pytest.approx(0.10), pytest.approx(0.15))
    assert found.dimension == "ticket_region"
    [eu] = found.contributors  # US went against the change (-100%): not named
    assert values(eu.segment, eu.delta, eu.share) == ("EU", pytest.approx(0.10), pytest.approx(2.0))
    assert values(eu.before, eu.now) == (pytest.approx(10 / 40), pytest.approx(30 / 40))
    assert found.paragraph == (
        "Late rate this quarter is up 5.0 pts on the same 10 days of last quarter (15.0% vs 10.0%). "
        "By ticket region, EU contributed most: +10.0 pts (200% of the change; other segments moved the other way)."
    )


def test_a_kpi_segment_is_explained_within_it(workspace: Workspace) -> None:
    found = what_changed(workspace, "by_region", "EU")

    assert found.segment == "EU"
    assert values(found.value_before, found.value_now) == (pytest.approx(100), pytest.approx(1000))
    # region has one value inside the segment: the change is told by channel
    assert found.dimension == "channel"
    named: list[object] = [(x.segment, x.delta, x.share) for x in found.contributors]
    assert named == [
        ("web", pytest.approx(550), pytest.approx(550 / 900)),
        ("store", pytest.approx(350), pytest.approx(350 / 900)),
    ]
    assert found.paragraph == (
        "Sales (EU) this quarter is up 900.0% on the same 10 days of last quarter (1,000 vs 100). "
        "By channel, web contributed most: +550 (61% of the change), then store +350 (39%)."
    )


def test_nothing_to_compare_when_there_is_no_data_before(workspace: Workspace) -> None:
    found = what_changed(workspace, "q1_sales")

    # 2025-Q1 is over: the whole of it (90 days of 35) against the whole of 2024-Q4, which has no data
    assert found.value_now == pytest.approx(90 * 35)
    assert found.value_before is None
    assert found.contributors == []
    assert found.note == found.paragraph
    assert found.paragraph == "Sales has no data for 2024-Q4 (2024-10-01 to 2024-12-31): nothing to compare."


def test_a_status_sentence_when_the_status_changed(workspace: Workspace) -> None:
    [row] = [r for r in scorecard.kpi_rows(workspace.project(), workspace.store) if r.kpi == "q_sales"]
    before = "at_risk" if row.status != "at_risk" else "off_track"

    changed = what_changed(workspace, "q_sales", previous_status=before)
    same = what_changed(workspace, "q_sales", previous_status=row.status)

    words = row.status.replace("_", " ")
    assert changed.paragraph == f"{Q_SALES} Status went from {before.replace('_', ' ')} to {words}."
    assert same.paragraph == Q_SALES


def test_without_a_workspace(workspace: Workspace) -> None:
    with workspace.engine() as engine:
        found = what_changed_of(workspace.project(), workspace.store, engine, "q_sales")

    assert found.paragraph == Q_SALES


def test_a_dimension_with_one_segment_that_has_a_value_is_skipped(workspace: Workspace) -> None:
    found = what_changed(workspace, "q_completed")

    assert values(found.value_before, found.value_now) == (pytest.approx(300), pytest.approx(500))
    # status: only "completed" has a value; coupon: only the rows without one (see the module's docstring)
    assert found.dimension == "order_region"
    named: list[object] = [(x.dimension, x.segment, x.delta, x.share) for x in found.contributors]
    assert named == [("order_region", "EU", pytest.approx(200), pytest.approx(1.0))]
    assert found.paragraph == (
        "Completed value this quarter is up 66.7% on the same 10 days of last quarter (500 vs 300). "
        "By order region, EU contributed most: +200 (100% of the change)."
    )


def test_a_negligible_change_is_about_unchanged_with_the_decimals_that_tell_the_values_apart(
    workspace: Workspace,
) -> None:
    found = what_changed(workspace, "q_defects")

    assert values(found.value_before, found.value_now) == (pytest.approx(250 / 20_000), pytest.approx(250 / 19_960))
    assert found.negligible
    assert found.method == "ratio"
    named: list[object] = [(x.segment, x.delta, x.share) for x in found.contributors]
    change = 250 / 19_960 - 0.0125
    assert named == [  # the shares stay exact in the view; the paragraph does not give them
        ("Line A", pytest.approx(40 / 19_960), pytest.approx(40 / 19_960 / change)),
        ("Line B", pytest.approx(-39.5 / 19_960), pytest.approx(-39.5 / 19_960 / change)),
    ]
    assert found.paragraph == (
        "Defect rate this quarter is about unchanged on the same 10 days of last quarter "
        "(1.253% vs 1.250%, up 0.003 pts). "
        "By line, the largest moves were Line A +0.20 pts and Line B -0.20 pts, which offset each other."
    )


def test_numbers_that_differ_never_read_alike() -> None:
    rate = Format(kind="percent", decimals=2)
    assert words.pair(0.012622, 0.012639, rate) == ("1.262%", "1.264%")  # not 1.26% vs 1.26%
    assert words.pair(0.0197, 0.0186, rate) == ("1.97%", "1.86%")
    assert words.signed(-0.000017, rate) == "-0.002 pts"  # not -0.00 pts
    assert words.signed(0.0004, Format(kind="percent", decimals=1)) == "+0.04 pts"  # not +0.0 pts
    assert words.signed(0.0012, rate) == "+0.12 pts"
    assert words.signed(-872_000.0, Format(kind="currency", currency="EUR", decimals=0)) == "-872.0K EUR"
    assert words.signed(0.3, Format(kind="currency", currency="EUR", decimals=0)) == "+0.3 EUR"  # not +0 EUR


def test_the_kpi_page_leaves_it_to_be_loaded(workspace: Workspace) -> None:
    assert kpi_page.page(workspace, "q_sales").what_changed is None

    printed = kpi_page.page(workspace, "q_sales", what_changed=True)  # a print view, which has no script
    assert printed.what_changed is not None
    assert printed.what_changed.paragraph == Q_SALES


@pytest.fixture(scope="module")
def client(workspace: Workspace) -> Iterator[TestClient]:
    """The app, with a viewer (any logged-in user may read what changed) not yet logged in."""
    auth.add_user(workspace.store, "viewer", PASSWORD, "viewer", actor="test")
    with TestClient(create_app(workspace)) as client:
        yield client


def _log_in(client: TestClient) -> None:
    assert client.post("/api/login", json={"name": "viewer", "password": PASSWORD}).status_code == 200


def test_the_api_shows_it(client: TestClient) -> None:
    _log_in(client)

    answer = client.get("/api/kpis/q_sales/what-changed")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["paragraph"] == Q_SALES
    assert body["negligible"] is False
    assert body["contributors"][0]["segment"] == "EU"
    assert body["contributors"][0]["share"] == pytest.approx(1.0)
    assert (body["current"]["start"], body["previous"]["start"]) == ("2025-04-01", "2025-01-01")

    segment = client.get("/api/kpis/by_region/what-changed", params={"segment": "EU"}).json()
    assert segment["value_now"] == pytest.approx(1000)
    # as of 2025-04-05: 5 days of April (EU 500, US 105, ASIA 20) against 5 of January (175)
    earlier = client.get("/api/kpis/q_sales/what-changed", params={"as_of": "2025-04-05"}).json()
    assert (earlier["value_now"], earlier["value_before"]) == (pytest.approx(625), pytest.approx(175))
    assert earlier["previous"]["end"] == "2025-01-05"

    assert client.get("/api/kpis/nope/what-changed").status_code == 404
    assert client.get("/api/kpis/q_sales/what-changed", params={"as_of": "soon"}).status_code == 400


def test_the_page_loads_it_after_it_is_shown(client: TestClient) -> None:
    _log_in(client)

    html = client.get("/kpis/by_region", params={"segment": "EU", "as_of": "2025-04-05"})
    assert html.status_code == 200
    assert 'data-testid="what-changed"' in html.text
    assert 'hx-get="/kpis/by_region/what-changed?segment=EU&amp;as_of=2025-04-05"' in html.text
    assert 'hx-trigger="load"' in html.text
    assert "Working out what changed…" in html.text
    assert "contributed most" not in html.text  # not computed for the page

    plain = client.get("/kpis/q_sales")
    assert 'hx-get="/kpis/q_sales/what-changed"' in plain.text
    assert "By region, EU contributed most" not in plain.text


def test_the_page_part_is_the_paragraph(client: TestClient) -> None:
    _log_in(client)

    part = client.get("/kpis/q_sales/what-changed", headers={"HX-Request": "true"})
    assert part.status_code == 200, part.text
    assert "<h2>What changed</h2>" in part.text
    assert "By region, EU contributed most: +900 (100% of the change)." in part.text
    assert "<script" not in part.text and "<html" not in part.text
    # as of 2025-04-05 in EU: 5 days of April (500) against 5 of January (50; below 100 with 2 decimals)
    earlier = client.get("/kpis/by_region/what-changed", params={"segment": "EU", "as_of": "2025-04-05"})
    assert "Sales (EU) this quarter is up 900.0% on the same 5 days of last quarter (500 vs 50.00)." in earlier.text
    assert client.get("/kpis/nope/what-changed", headers={"HX-Request": "true"}).status_code == 404


def test_it_needs_a_login(workspace: Workspace) -> None:
    with TestClient(create_app(workspace)) as anonymous:
        assert anonymous.get("/api/kpis/q_sales/what-changed").status_code == 401
        htmx = anonymous.get("/kpis/q_sales/what-changed", headers={"HX-Request": "true"})
        assert htmx.status_code == 401
        assert htmx.headers["HX-Redirect"].startswith("/login?next=")
        plain = anonymous.get("/kpis/q_sales/what-changed", follow_redirects=False)
        assert plain.status_code == 303
        assert plain.headers["location"].startswith("/login?next=")
        assert "contributed" not in htmx.text + plain.text


def test_a_source_error_is_a_short_escaped_note(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    _log_in(client)

    def broken(*args: object) -> float:
        raise BackendError("<b>warehouse</b> is down")

    monkeypatch.setattr(what_changed_numbers, "total", broken)
    part = client.get("/kpis/q_sales/what-changed", headers={"HX-Request": "true"})

    assert part.status_code == 200
    assert "What changed could not be computed: &lt;b&gt;warehouse&lt;/b&gt; is down" in part.text
    assert "<b>warehouse" not in part.text
