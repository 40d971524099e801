"""The outbox in the interfaces: GET /api/outbox (admins), `onpace outbox list|retry`, the Health partial."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests.site_fixtures import Site
from typer.testing import CliRunner

from onpace.cli.main import app
from onpace.services.views.delivery import DeliveryError, DeliveryHealth
from onpace.store import Store, outbox

runner = CliRunner()


def _fill(store: Store) -> None:
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    with store.session() as s:
        outbox.enqueue(s, channel="inbox", to=None, subject="first", text="t", key="k1", origin="alert:revenue")
        outbox.enqueue(s, channel="mail", to="a@b.example", subject="second", text="t", key="k2", origin="test")
        claimed = outbox.claim(s, 2, worker="w", now=now, lease=dt.timedelta(seconds=60))
        assert claimed is not None
        outbox.finish(s, 2, worker="w", number=1, now=now, status="dead", error="HTTP 500")


def test_api_lists_the_outbox_for_admins_only(site: Site) -> None:
    _fill(site.workspace.store)
    admin = site.login("admin")
    answer = admin.get("/api/outbox")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(m["id"], m["status"], m["channel"]) for m in body] == [(2, "dead", "mail"), (1, "queued", "inbox")]
    assert body[0]["tries"][0]["outcome"] == "failed" and body[0]["last_error"] == "HTTP 500"
    assert "text" not in body[0] and "payload" not in body[0] and "html" not in body[0]
    assert [m["id"] for m in admin.get("/api/outbox", params={"status": "dead"}).json()] == [2]
    assert [m["id"] for m in admin.get("/api/outbox", params={"origin": "alert:"}).json()] == [1]
    assert admin.get("/api/outbox/2").json()["subject"] == "second"
    assert admin.get("/api/outbox/99").status_code == 404
    assert admin.get("/api/outbox", params={"status": "lost"}).status_code == 422
    for role in ("strategist", "editor", "viewer"):
        assert site.login(role).get("/api/outbox").status_code == 403
    assert site.client.get("/api/outbox").status_code == 401


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    root = tmp_path / "shop"
    root.mkdir()
    (root / "onpace.yml").write_text("name: shop\nchannels:\n  inbox:\n    type: file\n    folder: outbox\n")
    return root


def test_cli_lists_and_retries(project: Path) -> None:
    store = Store.for_project(project).ensure_current()
    _fill(store)
    store.close()
    listed = runner.invoke(app, ["outbox", "list", "--format", "json", "--project", str(project)])
    assert listed.exit_code == 0, listed.output
    assert [(m["id"], m["status"]) for m in json.loads(listed.stdout)] == [(2, "dead"), (1, "queued")]
    table = runner.invoke(app, ["outbox", "list", "--status", "dead", "--project", str(project)])
    assert table.exit_code == 0 and "second" in table.stdout and "first" not in table.stdout

    again = runner.invoke(app, ["outbox", "retry", "2", "--project", str(project)])
    assert again.exit_code == 0, again.output
    assert "Queued again message 2" in again.stdout
    listed = runner.invoke(app, ["outbox", "list", "--status", "failed", "--format", "json", "--project", str(project)])
    assert [m["id"] for m in json.loads(listed.stdout)] == [2]
    missing = runner.invoke(app, ["outbox", "retry", "42", "--project", str(project)])
    assert missing.exit_code == 1 and "no message 42 in the outbox" in missing.output
    wrong = runner.invoke(app, ["outbox", "list", "--status", "lost", "--project", str(project)])
    assert wrong.exit_code == 2


def test_the_health_partial_escapes_what_it_shows() -> None:
    from onpace.web.render import TEMPLATES

    health = DeliveryHealth(
        queued=1,
        sending=0,
        failing=2,
        dead=1,
        delivered=5,
        recent_errors=[
            DeliveryError(
                message_id=3,
                channel="hook",
                subject="<script>alert(1)</script>",
                at=dt.datetime(2027, 1, 4, 9, 30, tzinfo=dt.UTC),
                error="HTTP 500: <b>no</b>",
            )
        ],
    )
    html = TEMPLATES.env.get_template("_delivery_health.html").render(delivery=health)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "HTTP 500: &lt;b&gt;no&lt;/b&gt;" in html
    assert 'data-testid="delivery-dead"><span class="badge sev-error">1</span>' in html
    assert "2027-01-04 09:30" in html
