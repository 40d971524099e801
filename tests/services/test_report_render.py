"""Rendering a report (onpace.services.report_render), read back the way a person gets it.

The project is the TPC-H example of tests/site_fixtures.py (scale 0.01, refreshed; its data ends
on 1998-08-02, so ``quarterly_revenue`` is judged on 1998-Q3 from 1998-07-01 to 1998-08-02: 33
days), with two reports: ``everything`` (every KPI, A4, no "what changed") and ``board`` (only
``quarterly_revenue``, Letter, with "what changed"). One KPI's label is made hostile
(``=1+2 <b>band</b>``) and a comment carries markup, to check escaping and the CSV's formula guard.

The PDF is turned into PNG pages with ``pdftoppm``, into text with ``pdftotext``; its images are
listed with ``pdfimages`` and its paper with ``pdfinfo`` (poppler-utils, scripts/browser.sh).
Verdicts are checked against the scorecard rows of the same store; revenue against hand-written SQL.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from tests.conftest import require_or_skip
from tests.site_fixtures import settings_for

from onpace.catalog.display import compact_value
from onpace.catalog.project import Project, load_project
from onpace.engine import Engine
from onpace.errors import NotFoundError
from onpace.services import notes, scorecard
from onpace.services.report_render import RenderedReport, render_report
from onpace.services.reviews import record_review
from onpace.services.views.scorecard import ScorecardRow
from onpace.store.db import Store

REPORTS = """\
reports:
  - name: everything
    label: Everything pack
    description: Every KPI of the TPC-H example.
    what_changed: false
    past_periods: 2
  - name: board
    label: Board pack
    audience: {kpis: [quarterly_revenue]}
    paper: letter
    past_periods: 3
"""
HOSTILE_LABEL = "=1+2 <b>band</b>"
COMMENT = "<img src=x onerror=alert(1)> & the plan holds"
REVIEW = "Behind plan; pushing the July promotion."
STATUS_WORDS = {  # what a reader sees for each status
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "achieved": "Achieved",
    "missed": "Missed",
    "no_data": "No data",
}
PNG = b"\x89PNG\r\n\x1a\n"
# revenue of the order lines (after discount) by order date, written by hand
REVENUE_SQL = """
SELECT sum(l.l_extendedprice * (1 - l.l_discount))
FROM lineitem l JOIN orders o ON o.o_orderkey = l.l_orderkey
WHERE o.o_orderdate BETWEEN ? AND ?
"""


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        require_or_skip(f"{name} is not installed: apt-get install poppler-utils (scripts/browser.sh)")
    return path


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


@dataclass
class World:
    root: Path
    project: Project
    store: Store
    engine: Engine
    rows: list[ScorecardRow]
    everything: RenderedReport
    board: RenderedReport
    commented_at: dt.datetime
    revenue: dict[tuple[dt.date, dt.date], float]  # by hand-written SQL, read before the engine opens the file


# the windows whose revenue the tests check: 1998-Q3 to date, the same 33 days of Q2, all of Q1
WINDOWS = (
    (dt.date(1998, 7, 1), dt.date(1998, 8, 2)),
    (dt.date(1998, 4, 1), dt.date(1998, 5, 3)),
    (dt.date(1998, 1, 1), dt.date(1998, 3, 31)),
)


@pytest.fixture(scope="module")
def world(tpch_site_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("reports") / "tpch"
    shutil.copytree(tpch_site_template, root)
    (root / "models" / "reports.yml").write_text(REPORTS, encoding="utf-8")
    goals = root / "models" / "goals.yml"
    text = goals.read_text(encoding="utf-8")
    assert text.count("label: Average order value in band") == 1
    goals.write_text(text.replace("label: Average order value in band", f'label: "{HOSTILE_LABEL}"'), encoding="utf-8")
    project = load_project(root)
    store = Store.open(settings_for(root).database_url or "")
    notes.add_comment(project, store, "kpi", "quarterly_revenue", author="ana", body=COMMENT)
    record_review(project, store, "quarterly_revenue", reviewer="ben", assessment="off_track", commentary=REVIEW)
    commented_at = dt.datetime.now(dt.UTC)
    revenue = {window: _revenue(root, *window) for window in WINDOWS}
    try:
        with Engine(project) as engine:
            yield World(
                root=root,
                project=project,
                store=store,
                engine=engine,
                rows=scorecard.kpi_rows(project, store),
                everything=render_report(project, store, engine, "everything"),
                board=render_report(project, store, engine, "board"),
                commented_at=commented_at,
                revenue=revenue,
            )
    finally:
        store.close()


def _pdf(tmp_path: Path, rendered: RenderedReport) -> Path:
    assert rendered.pdf is not None and rendered.pdf.startswith(b"%PDF-")
    path = tmp_path / f"{rendered.report}.pdf"
    path.write_bytes(rendered.pdf)
    return path


def _pages(pdf: Path) -> list[str]:
    """The text of each page, by pdftotext (pages end with a form feed)."""
    return run(tool("pdftotext"), pdf, "-").split("\f")[:-1]


def _revenue(root: Path, first: dt.date, last: dt.date) -> float:
    con = duckdb.connect(str(root / "data" / "tpch.duckdb"), read_only=True)
    try:
        (value,) = con.execute(REVENUE_SQL, [first, last]).fetchall()[0]
    finally:
        con.close()
    return float(value)


def _title(row: ScorecardRow) -> str:
    return row.label + (f" — {row.segment}" if row.segment else "")


def test_the_pdf_turns_into_one_png_per_page(world: World, tmp_path: Path) -> None:
    rendered = world.everything
    pdf = _pdf(tmp_path, rendered)
    run(tool("pdftoppm"), "-png", "-r", "40", pdf, tmp_path / "page")
    pngs = sorted(tmp_path.glob("page-*.png"))
    info = run(tool("pdfinfo"), pdf)
    assert f"Pages:           {len(pngs)}" in info
    assert rendered.pages == len(pngs)
    assert all(p.read_bytes().startswith(PNG) for p in pngs)
    # the cover, the scorecard (one page or more), then one page per KPI and segment
    assert len(pngs) >= 2 + len(world.rows)


def test_the_pdf_has_the_cover_the_scorecard_and_a_page_per_kpi(world: World, tmp_path: Path) -> None:
    pages = [flat(p) for p in _pages(_pdf(tmp_path, world.everything))]
    cover = pages[0]
    assert "Everything pack" in cover and "every KPI" in cover and "1998-08-02" in cover
    for status, word in STATUS_WORDS.items():
        n = sum(1 for r in world.rows if r.status == status)
        assert (f"{n} {word}" in cover) == (n > 0), (status, cover)
    assert pages[1].startswith("Scorecard")
    assert len(world.rows) == 12  # 7 KPIs, one of them in 5 regions
    for row in world.rows:
        title = flat(_title(row))
        page = next((p for p in pages[2:] if p.startswith(title + " ")), None)
        assert page is not None, f"no page starts with {title!r}: {[p[:40] for p in pages]}"
        # the verdict as the scorecard gives it: its status in words and its reason
        assert f"{STATUS_WORDS[row.status]} {flat(row.reason or '')}" in page
        assert f"as of {row.as_of.isoformat()}" in page
    assert "Last periods" in " ".join(pages) and "What changed" not in " ".join(pages)  # what_changed: false


def test_each_kpi_has_its_chart_as_png_in_the_pdf(world: World, tmp_path: Path) -> None:
    rendered = world.everything
    assert len(rendered.images) == len(world.rows)  # every KPI of the example is evaluated
    for png in rendered.images.values():
        assert png.startswith(PNG)
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert (width, height) == (960, 390)  # 6.4 x 2.6 inches at 150 dpi
    listing = run(tool("pdfimages"), "-list", _pdf(tmp_path, rendered)).splitlines()[2:]
    assert len(listing) == len(rendered.images)
    assert all(line.split()[3:5] == ["960", "390"] for line in listing), listing


def test_what_changed_is_in_the_pdf_with_the_numbers_of_the_data(world: World, tmp_path: Path) -> None:
    board = world.board
    assert board.pages == 3  # cover, scorecard, quarterly_revenue
    text = flat(" ".join(_pages(_pdf(tmp_path, board))))
    now = world.revenue[WINDOWS[0]]
    before = world.revenue[WINDOWS[1]]  # the same 33 days of Q2
    fmt = world.project.metrics["revenue"].format
    way = "up" if now > before else "down"
    assert "What changed and why" in text
    assert f"Revenue this quarter is {way} " in text
    assert f"on the same 33 days of last quarter ({compact_value(now, fmt)} vs {compact_value(before, fmt)})" in text
    # since the first report: the reviews and comments of the current period
    assert REVIEW in text and COMMENT in text


def test_the_csv_has_the_scorecard_numbers(world: World) -> None:
    assert world.everything.csv is not None
    rows = list(csv.DictReader(io.StringIO(world.everything.csv.decode("utf-8"))))
    assert list(rows[0]) == [
        "kpi",
        "segment",
        "label",
        "owner",
        "status",
        "actual",
        "target",
        "expected_to_date",
        "attainment",
        "probability",
        "forecast",
        "period_start",
        "period_end",
        "as_of",
    ]
    found = {(r["kpi"], r["segment"] or None): r for r in rows}
    assert set(found) == {(r.kpi, r.segment) for r in world.rows}
    for row in world.rows:
        line = found[(row.kpi, row.segment)]
        assert float(line["actual"]) == row.actual
        assert line["status"] == row.status
        assert (line["period_start"], line["period_end"], line["as_of"]) == (
            row.period_start.isoformat(),
            row.period_end.isoformat(),
            row.as_of.isoformat(),
        )
    revenue = found[("quarterly_revenue", None)]
    assert float(revenue["actual"]) == pytest.approx(world.revenue[WINDOWS[0]])
    assert len(found) == 12 and found[("orders_by_region", "MIDDLE EAST")]["owner"] == "Head of Sales"


def test_markup_is_escaped_and_formulas_are_quoted(world: World, tmp_path: Path) -> None:
    rendered = world.everything
    assert rendered.csv is not None
    [band] = [r for r in csv.DictReader(io.StringIO(rendered.csv.decode())) if r["kpi"] == "order_value_band"]
    assert band["label"] == "'" + HOSTILE_LABEL  # a spreadsheet shows it, does not compute it
    for html in (rendered.html, rendered.preview_html, world.board.html, world.board.preview_html):
        assert "<b>band" not in html and "<img src=x" not in html
        assert "<script" not in html.lower()
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), "an inline event handler"
    assert "=1+2 &lt;b&gt;band&lt;/b&gt;" in rendered.preview_html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; the plan holds" in world.board.preview_html
    assert HOSTILE_LABEL in flat(" ".join(_pages(_pdf(tmp_path, rendered))))  # as text, not markup


def test_the_email_shows_every_chart_by_content_id(world: World) -> None:
    for rendered in (world.everything, world.board):
        assert rendered.images
        for cid, png in rendered.images.items():
            assert f'src="cid:{cid}"' in rendered.html
            assert "data:image/png;base64," + base64.b64encode(png).decode() in rendered.preview_html
        assert "data:" not in rendered.html and "<style" not in rendered.html  # inline styles only
        assert 'width="640"' in rendered.html
    text = world.board.text
    assert text.startswith("Board pack\n") and "Revenue this quarter" in text and "What changed:" in text


def test_the_paper_is_a4_or_letter(world: World, tmp_path: Path) -> None:
    def size(rendered: RenderedReport) -> tuple[float, float]:
        found = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", run(tool("pdfinfo"), _pdf(tmp_path, rendered)))
        assert found is not None
        return float(found[1]), float(found[2])

    # A4 is 210 x 297 mm, Letter 8.5 x 11 inches; 72 points an inch, 25.4 mm an inch
    assert size(world.everything) == pytest.approx((210 / 25.4 * 72, 297 / 25.4 * 72), abs=0.01)
    assert size(world.board) == pytest.approx((8.5 * 72, 11 * 72), abs=0.01)


def test_what_is_stored_and_summarised(world: World) -> None:
    rendered = world.everything
    assert rendered.kpis == {
        f"{r.kpi}|{r.segment or ''}": {"status": r.status, "actual": r.actual, "label": _title(r)} for r in world.rows
    }
    urls = {(s["kpi"], s["segment"]): s["url"] for s in rendered.summary}
    assert urls[("orders_by_region", "MIDDLE EAST")] == "/kpis/orders_by_region?segment=MIDDLE%20EAST"
    assert urls[("quarterly_revenue", None)] == "/kpis/quarterly_revenue"
    assert {s["status"] for s in rendered.summary} == {r.status for r in world.rows}
    assert (rendered.report, rendered.title, rendered.as_of) == ("everything", "Everything pack", dt.date(1998, 8, 2))


def test_since_the_last_report_only_what_is_new_and_what_moved(world: World) -> None:
    again = render_report(
        world.project,
        world.store,
        world.engine,
        "board",
        since=world.commented_at,
        previous=world.board.kpis,
        formats=[],
    )
    assert (again.pdf, again.csv, again.pages) == (None, None, None)
    assert "Unchanged since the last report" in again.preview_html
    assert "What changed and why" in again.preview_html  # the paragraph says it did not move
    assert "the plan holds" not in again.preview_html and REVIEW not in again.preview_html
    assert "Revenue this quarter is" not in again.preview_html
    # a status that moved since: the paragraph is computed, and says so
    moved = {key: {**value, "status": "on_track"} for key, value in world.board.kpis.items()}
    status = world.board.kpis["quarterly_revenue|"]["status"]
    if status != "on_track":
        third = render_report(world.project, world.store, world.engine, "board", previous=moved, formats=[])
        assert f"Status went from on track to {status.replace('_', ' ')}." in flat(third.text)


def test_as_of_a_past_date(world: World) -> None:
    then = render_report(world.project, world.store, world.engine, "board", as_of=dt.date(1998, 3, 31), formats=["csv"])
    assert then.as_of == dt.date(1998, 3, 31) and then.pdf is None and then.csv is not None
    [line] = list(csv.DictReader(io.StringIO(then.csv.decode())))
    assert (line["period_start"], line["period_end"], line["as_of"]) == ("1998-01-01", "1998-03-31", "1998-03-31")
    assert float(line["actual"]) == pytest.approx(world.revenue[WINDOWS[2]])
    [row] = scorecard.kpi_rows(world.project, world.store, dt.date(1998, 3, 31), kpi="quarterly_revenue")
    assert (line["status"], float(line["actual"])) == (row.status, row.actual)
    assert row.status in ("achieved", "missed")  # the quarter is over on its last day
    # the review and the comment were written today, long after 1998-03-31: not in the report as of then
    assert REVIEW not in then.preview_html and "the plan holds" not in then.preview_html
    assert REVIEW in world.board.preview_html  # (the latest report has them)


def test_an_unknown_report_is_named_with_a_suggestion(world: World) -> None:
    with pytest.raises(NotFoundError, match=r"no report named 'bord'; did you mean 'board'\?"):
        render_report(world.project, world.store, world.engine, "bord")
