"""`onpace demo`: the demo project is made, refreshed and annotated; its KPIs' numbers are right.

The actuals and targets of the demo's KPIs are checked against hand-written SQL on a copy of the
demo data (the definitions in src/onpace/examples/demo/models say what each KPI means; the SQL
below is written from that meaning, not from the engine). The data ends on 2026-11-18, the day
every KPI is evaluated as of (evaluation.as_of: latest_data).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from onpace.cli.main import app
from onpace.errors import UserError
from onpace.examples import demo
from onpace.services import auth, notes
from onpace.services import reviews as review_service
from onpace.store import evaluations
from onpace.store.db import Store

AS_OF = dt.date(2026, 11, 18)
STATUSES = {"on_track", "at_risk", "off_track", "achieved", "missed"}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "fernhill"
    result = CliRunner().invoke(app, ["demo", str(root), "--no-serve"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "as demo with the password onpace-demo" in result.output
    return root


@pytest.fixture(scope="module")
def sql(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    copy = tmp_path_factory.mktemp("demo-sql") / "demo.duckdb"
    shutil.copyfile(demo_dir / "data" / "demo.duckdb", copy)
    con = duckdb.connect(str(copy), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def latest(demo_dir: Path) -> dict[tuple[str, str], Any]:
    store = Store.for_project(demo_dir)
    try:
        with store.session(readonly=True) as s:
            rows = evaluations.latest_evaluations(s)
            return {(e.kpi, e.segment): e for e in rows}
    finally:
        store.close()


def one(con: duckdb.DuckDBPyConnection, query: str) -> float:
    rows = con.execute(query).fetchall()
    assert len(rows) == 1 and rows[0][0] is not None, query
    return float(rows[0][0])


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "demo.md"
_WORDS = {
    "on track": "on_track",
    "at risk": "at_risk",
    "off track": "off_track",
    "achieved": "achieved",
    "missed": "missed",
}


def _documented_statuses() -> dict[tuple[str, str], str]:
    """The status column of docs/demo.md's table of KPIs, by (label, segment)."""
    text = DOCS.read_text(encoding="utf-8")
    table = text[text.index("| KPI | target | timeframe | status |") :].split("\n\n")[0].splitlines()[2:]
    found: dict[tuple[str, str], str] = {}
    for line in table:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        label, status = cells[0], cells[-1]
        for part in status.split(", "):
            segment, word = "", part
            for words in _WORDS:
                at = part.find(words)
                if at >= 0:
                    segment, word = part[:at].strip(), words
                    break
            assert word in _WORDS, (label, status)
            found[(label, segment)] = _WORDS[word]
    return found


def test_the_documented_statuses_are_the_demos(demo_dir: Path, latest: dict[tuple[str, str], Any]) -> None:
    """docs/demo.md says what a user sees after `onpace demo`: its table of KPIs had five statuses that
    the demo no longer showed (CSAT, club churn and members, Europe, turnover)."""
    from onpace.catalog.project import load_project

    project = load_project(demo_dir)
    shown = {
        ((project.kpis[kpi].label or kpi), segment): e.status
        for (kpi, segment), e in latest.items()
        if kpi in project.kpis
    }
    documented = _documented_statuses()
    assert documented == {key: shown.get(key) for key in documented}
    assert set(documented) == set(shown)  # every KPI of the demo is in the table


def test_the_scorecard_shows_every_status(latest: dict[tuple[str, str], Any]) -> None:
    statuses = {e.status for e in latest.values()}
    assert statuses >= STATUSES, sorted(statuses)
    assert len({kpi for kpi, _ in latest}) >= 15
    assert all(e.as_of <= AS_OF for e in latest.values())


# (KPI, segment) -> (SQL of the actual as of 2026-11-18, SQL of the target or a number)
ACTUALS: dict[tuple[str, str], tuple[str, str | float | None]] = {
    ("quarterly_revenue", ""): (
        "select sum(subtotal - discount) from orders where status = 'completed' "
        "and order_date between '2026-10-01' and '2026-11-18'",
        9_300_000.0,
    ),
    ("revenue_growth", ""): (
        "select sum(subtotal - discount) from orders where status = 'completed' "
        "and order_date between '2026-04-01' and '2026-11-18'",
        "select 1.15 * sum(subtotal - discount) from orders where status = 'completed' "
        "and order_date between '2025-04-01' and '2026-03-31'",
    ),
    ("revenue_by_region", "Europe"): (
        "select sum(subtotal - discount) from orders where status = 'completed' and region = 'Europe' "
        "and order_date between '2026-04-01' and '2026-11-18'",
        18_500_000.0,
    ),
    ("gross_margin_band", ""): (
        "select (sum(i.revenue) - sum(i.cost)) / sum(i.revenue) from order_items i join orders o using (order_id) "
        "where o.status = 'completed' and o.order_date between '2026-10-01' and '2026-11-18'",
        None,
    ),
    ("mobile_conversion", ""): (
        "select sum(orders) / sum(sessions) from web_traffic_daily where device = 'mobile' "
        "and date between '2026-11-01' and '2026-11-18'",
        0.023,
    ),
    ("acquisition_cost", ""): (
        "select (select sum(spend) from marketing_spend where date between '2026-11-01' and '2026-11-18') / "
        "(select count(*) from orders where is_first_order and status <> 'cancelled' "
        "and order_date between '2026-11-01' and '2026-11-18')",
        40.0,
    ),
    ("wholesale_bookings_quarter", ""): (
        "select sum(deal_value) from leads where won_on between '2026-10-01' and '2026-11-18'",
        400_000.0,
    ),
    ("club_growth", ""): (
        "select count(*) from club_member_months where month = '2026-11-01' and active_at_end",
        "select 1.03 * count(*) from club_member_months where month = '2026-09-01' and active_at_end",
    ),
    ("club_churn", ""): (
        "select count(*) filter (where cancelled and active_at_start) / count(*) filter (where active_at_start) "
        "from club_member_months where month = '2026-11-01'",
        0.025,
    ),
    ("support_satisfaction", ""): (
        "select count(*) filter (where csat_score >= 4) / count(csat_score) from support_tickets "
        "where created_on between '2026-11-01' and '2026-11-18'",
        0.85,
    ),
    ("first_response", ""): (
        "select avg(first_response_minutes) from support_tickets "
        "where created_on between '2026-11-01' and '2026-11-18'",
        90.0,
    ),
    ("on_time_delivery", ""): (
        "select count(*) filter (where on_time) / count(delivered_on) from deliveries "
        "where shipped_on between '2026-10-01' and '2026-11-18'",
        0.93,
    ),
    ("defect_rate_quarter", ""): (
        "select sum(defective_units) / sum(produced_units) from production_runs "
        "where run_date between '2026-10-01' and '2026-11-18'",
        0.02,
    ),
    ("checkout_uptime_2025", ""): (
        "select 1 - sum(minutes_down) / sum(minutes_total) from system_uptime_daily "
        "where system = 'checkout' and year(date) = 2025",
        0.9995,
    ),
    ("line_b_defects_q3_2025", ""): (
        "select sum(defective_units) / sum(produced_units) from production_runs "
        "where line = 'Line B' and run_date between '2025-07-01' and '2025-09-30'",
        0.02,
    ),
    ("club_members_2025", ""): (
        "select count(*) from club_member_months where month = '2025-12-01' and active_at_end",
        2500.0,
    ),
    ("employee_turnover", ""): (
        "select sum(leavers) / avg(total) from (select month, sum(leavers) as leavers, sum(headcount_end) as total "
        "from headcount_monthly where month between '2026-10-01' and '2026-11-01' group by month)",
        0.04,
    ),
}


@pytest.mark.parametrize(("kpi", "segment"), list(ACTUALS), ids=[f"{k}{'-' + s if s else ''}" for k, s in ACTUALS])
def test_kpi_numbers_match_hand_written_sql(
    kpi: str, segment: str, latest: dict[tuple[str, str], Any], sql: duckdb.DuckDBPyConnection
) -> None:
    evaluation = latest[(kpi, segment)]
    actual_sql, target = ACTUALS[(kpi, segment)]
    expected = one(sql, actual_sql)
    assert close(evaluation.actual, expected), (evaluation.actual, expected)
    if isinstance(target, str):
        assert close(evaluation.target, one(sql, target)), (evaluation.target, one(sql, target))
    elif target is not None:
        assert close(evaluation.target, target)


def test_ended_periods_are_achieved_or_missed(
    latest: dict[tuple[str, str], Any], sql: duckdb.DuckDBPyConnection
) -> None:
    uptime = one(sql, ACTUALS[("checkout_uptime_2025", "")][0])
    assert uptime < 0.9995 and latest[("checkout_uptime_2025", "")].status == "missed"
    members = one(sql, ACTUALS[("club_members_2025", "")][0])
    assert members >= 2500 and latest[("club_members_2025", "")].status == "achieved"
    line_b = one(sql, ACTUALS[("line_b_defects_q3_2025", "")][0])
    assert line_b > 0.02 and latest[("line_b_defects_q3_2025", "")].status == "missed"


def test_the_team_notes_are_there(demo_dir: Path) -> None:
    store = Store.for_project(demo_dir)
    try:
        project = demo.load_project(demo_dir)
        comments = notes.list_comments(store, "kpi", "quarterly_revenue")
        annotations = notes.list_annotations(store, "kpi", "on_time_delivery")
        reviewed = {r.kpi for r in review_service.history(project, store)}
        assert len(comments) == sum(1 for c in demo.COMMENTS if c.kpi == "quarterly_revenue")
        assert {a["label"] for a in annotations} == {e.label for e in demo.EVENTS if e.kpi == "on_time_delivery"}
        assert reviewed == {r.kpi for r in demo.REVIEWS}
        assert auth.login(store, demo.DEMO_USER, demo.DEMO_PASSWORD, "test").token
    finally:
        store.close()


def test_running_it_again_reuses_the_demo(demo_dir: Path) -> None:
    result = demo.prepare(demo_dir)
    assert not result.generated and not result.seeded
    store = Store.for_project(demo_dir)
    try:
        assert len(notes.list_comments(store, "kpi", "quarterly_revenue")) == sum(
            1 for c in demo.COMMENTS if c.kpi == "quarterly_revenue"
        )
    finally:
        store.close()


@pytest.mark.parametrize("fresh", [False, True])
def test_a_folder_that_is_not_a_demo_is_left_alone(tmp_path: Path, fresh: bool) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    # a project of the user's that happens to be named like the demo is not a demo either
    (tmp_path / "onpace.yml").write_text(f"name: {demo.PROJECT_NAME}\n", encoding="utf-8")
    with pytest.raises(UserError, match="not empty and not an onpace demo"):
        demo.prepare(tmp_path, fresh=fresh)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "onpace.yml"]


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", str(tmp_path / "file"), "--no-serve"])
    assert result.exit_code != 0 and "is a file" in result.output


def test_outside_development_it_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONPACE_ENVIRONMENT", "production")
    with pytest.raises(UserError, match="ONPACE_ENVIRONMENT=development"):
        demo.prepare(tmp_path / "demo")
    assert not (tmp_path / "demo").exists()


def test_the_store_stays_in_the_demo_folder(demo_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    elsewhere = tmp_path / "shared.db"
    monkeypatch.setenv("ONPACE_DATABASE_URL", f"sqlite:///{elsewhere.as_posix()}")
    demo.prepare(demo_dir)
    assert not elsewhere.exists()


# -- the demo's reports (issue 18, acceptance 2) ------------------------------------------------------
# the board pack's audience: objective grow_profitably and the objectives under it (win_online,
# grow_wholesale, grow_the_club), as src/onpace/examples/demo/models/goals.yml defines them
BOARD_PACK_KPIS = {
    "quarterly_revenue": "Net revenue this quarter",
    "mobile_conversion": "Mobile conversion rate",
    "wholesale_bookings_quarter": "Wholesale bookings this quarter",
    "club_churn": "Club churn this month",
}


def _pdf_text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.split())


def test_the_board_pack_renders_from_the_demo(demo_dir: Path, tmp_path: Path, latest: dict[Any, Any]) -> None:
    pdf, table = tmp_path / "board.pdf", tmp_path / "board.csv"
    result = CliRunner().invoke(
        app,
        ["report", "render", "board_pack", "--pdf", str(pdf), "--csv", str(table), "--project", str(demo_dir)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Monthly board pack" in text and "What changed" in text
    for label in BOARD_PACK_KPIS.values():
        assert label in text, label
    rows = {(r["kpi"], r["segment"]): r for r in csv.DictReader(io.StringIO(table.read_text(encoding="utf-8")))}
    assert {kpi for kpi, _ in rows} >= set(BOARD_PACK_KPIS)
    assert "support_satisfaction" not in {kpi for kpi, _ in rows}  # delight_customers is not under grow_profitably
    for (kpi, segment), row in rows.items():  # the numbers the scorecard stored, not others
        stored = latest[(kpi, segment or "")]
        assert row["status"] == stored.status, kpi
        if stored.actual is not None:
            assert math.isclose(float(row["actual"]), stored.actual, rel_tol=1e-9), kpi


def test_the_board_pack_email_arrives_with_its_attachments(demo_dir: Path, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from tests.notify.test_email import Mailbox, _free_port

    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        copy = tmp_path / "fernhill"
        shutil.copytree(demo_dir, copy)
        config = copy / "onpace.yml"
        mail = f"  mail: {{type: email, host: 127.0.0.1, port: {port}, security: none, from: onpace@fernhill.example}}"
        text = config.read_text(encoding="utf-8")
        assert "\nchannels:\n" in text
        config.write_text(text.replace("\nchannels:\n", f"\nchannels:\n{mail}\n", 1), encoding="utf-8")
        result = CliRunner().invoke(
            app,
            ["report", "send", "board_pack", "--to", "board@fernhill.example", "--project", str(copy)],
            env={"COLUMNS": "200"},
        )
        assert result.exit_code == 0, result.output
    finally:
        controller.stop()
    [(sender, to, message)] = box.messages
    assert sender == "onpace@fernhill.example" and to == ["board@fernhill.example"]
    assert "Monthly board pack" in str(message["Subject"])
    files = {part.get_filename(): part for part in message.iter_attachments() if part.get_filename()}
    [pdf_name] = [name for name in files if name.endswith(".pdf")]
    [csv_name] = [name for name in files if name.endswith(".csv")]
    assert files[pdf_name].get_content().startswith(b"%PDF")
    assert {r["kpi"] for r in csv.DictReader(io.StringIO(files[csv_name].get_content()))} >= set(BOARD_PACK_KPIS)
    related = next(part for part in message.walk() if part.get_content_type() == "multipart/related")
    html = next(part for part in related.iter_parts() if part.get_content_type() == "text/html").get_content()
    images = {
        str(part["Content-ID"]).strip("<>"): part
        for part in related.iter_parts()
        if part.get_content_type() == "image/png"
    }
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    assert referenced and referenced == set(images)  # every chart shown inline, none missing
    assert all(part.get_content().startswith(b"\x89PNG") for part in images.values())
