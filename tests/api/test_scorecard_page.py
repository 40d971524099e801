"""The scorecard page (GET /, /tv) serves a board cached per newest evaluation: a new evaluation,
written by anyone (another process included), shows on the next request, and a project change too."""

from __future__ import annotations

import datetime as dt
import re

from tests.api.conftest import Site

from onpace.store import evaluations


def _card_status(html: str, kpi: str) -> str:
    found = re.search(
        rf'data-kpi="{kpi}"[^>]*data-status="([a-z_]+)"|data-status="([a-z_]+)"[^>]*data-kpi="{kpi}"', html
    )
    assert found, f"no card for {kpi}"
    return found.group(1) or found.group(2)


def test_a_new_evaluation_shows_on_the_next_request(site: Site) -> None:
    client = site.login("viewer")
    first = client.get("/")
    assert first.status_code == 200
    before = _card_status(first.text, "returns_in_1998")
    assert _card_status(client.get("/").text, "returns_in_1998") == before  # served again from the cache
    changed = "on_track" if before != "on_track" else "off_track"
    store = site.workspace.store
    with store.session() as s:  # as a refresh in another process would
        latest = evaluations.latest_evaluations(s, "returns_in_1998")[0]
        evaluations.add_evaluation(
            s,
            kpi="returns_in_1998",
            as_of=latest.as_of,
            period_start=latest.period_start,
            period_end=latest.period_end,
            status=changed,
            evaluated_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1),
            target=latest.target,
            actual=latest.actual,
        )
    for path in ("/", "/tv"):
        page = client.get(path)
        assert page.status_code == 200
        assert _card_status(page.text, "returns_in_1998") == changed, path


def test_filters_and_the_htmx_board(site: Site) -> None:
    client = site.login("viewer")
    page = client.get("/", params={"status": "missed"})
    assert page.status_code == 200
    statuses = set(re.findall(r'data-testid="kpi-card"[^>]*data-status="([a-z_]+)"', page.text)) or set(
        re.findall(r'data-status="([a-z_]+)"[^>]*data-testid="kpi-card"', page.text)
    )
    assert statuses <= {"missed"}
    board = client.get("/", headers={"HX-Request": "true", "HX-Target": "board"})
    assert board.status_code == 200 and "<html" not in board.text and "kpi-card" in board.text


def test_a_changed_project_shows_without_a_restart(site: Site) -> None:
    client = site.login("viewer")
    assert "Return rate in 1998" in client.get("/").text
    goals = site.root / "models" / "goals.yml"
    goals.write_text(
        goals.read_text(encoding="utf-8").replace("Return rate in 1998", "Returns, 1998"), encoding="utf-8"
    )
    text = client.get("/").text
    assert "Returns, 1998" in text and "Return rate in 1998" not in text
