"""Sending a report (report_delivery.send_report) on the hand-computed shop, to real receivers on loopback.

The numbers (report_shop.py): q_revenue 450 of 2,700, by_region NORTH 150 and SOUTH 300, lateness 0.2
against at most 0.1. Report ``digest`` goes to Sales and Operations by email (once each, though
Sales owns two of its KPIs) and to the Slack-like channel: three messages.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from tests.notify.receivers import HttpReceiver
from tests.notify.test_email import Mailbox, _free_port

from onpace.catalog.schedule import Timing
from onpace.engine import Engine
from onpace.errors import MissingDependencyError, NotFoundError, UserError
from onpace.notify import email
from onpace.services import delivery, report_delivery, report_render
from onpace.services.report_delivery import schedule_words, send_report
from onpace.store import outbox
from onpace.store.db import Store

from .report_shop import APP_URL, AS_OF, load, make_shop, refreshed

TICK = "scheduled:2025-04-21T06:00:00+00:00"  # Monday 07:00 in London (BST)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    found = HttpReceiver().start()
    try:
        yield found
    finally:
        found.stop()


def _messages(store: Store) -> list[dict[str, Any]]:
    """The outbox as hand-written SQL reads it: key, channel, recipient, payload, attachment names."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, key, channel, recipient, subject, html, payload FROM outbox_messages ORDER BY key")
        ).all()
        files = conn.execute(
            text("SELECT message_id, filename, content_type, content_id FROM outbox_attachments ORDER BY id")
        ).all()
    found = []
    for row in rows:
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload or "null")
        found.append(
            {
                "key": row.key,
                "channel": row.channel,
                "to": row.recipient,
                "subject": row.subject,
                "html": row.html,
                "payload": payload,
                "files": [(f.filename, f.content_type, f.content_id) for f in files if f.message_id == row.id],
            }
        )
    return found


def _runs(store: Store, report: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT key, status, messages, error FROM report_runs WHERE report = :r ORDER BY id"),
                {"r": report},
            ).all()
        ]


def test_a_report_goes_once_to_each_recipient_with_its_files(tmp_path: Path) -> None:
    project = load(make_shop(tmp_path / "shop", smtp_port=2525))
    store = refreshed(project, f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with Engine(project) as engine:
            run = send_report(project, store, engine, "digest", requested_by="ana")
        assert (run.status, run.messages, run.error, str(run.as_of)) == ("succeeded", 3, None, AS_OF)
        assert run.key.startswith("manual:") and run.requested_by == "ana" and run.pages and run.pages >= 3
        found = _messages(store)
        keys = [m["key"] for m in found]
        assert keys == sorted(
            [
                f"report:digest:{run.key}:chat:",
                f"report:digest:{run.key}:mail:ops@shop.test",
                f"report:digest:{run.key}:mail:sales@shop.test",
            ]
        )
        chat, *mails = found
        for mail in mails:
            assert mail["subject"] == f"Weekly digest — as of {AS_OF}"
            names = [f[0] for f in mail["files"]]
            assert f"digest-{AS_OF}.pdf" in names and f"digest-{AS_OF}.csv" in names
            cids = {f[2] for f in mail["files"] if f[2] is not None}
            assert len(cids) == 4  # a chart per KPI line: q_revenue, lateness, by_region NORTH and SOUTH
            assert all(f"cid:{cid}" in mail["html"] for cid in cids)
        assert chat["files"] == [] and chat["html"] is None and chat["to"] is None
        # the files are kept once for the run: each of the two emails refers to the same six
        assert len(mails[0]["files"]) == 6 and mails[0]["files"] == mails[1]["files"]
        with store.engine.connect() as conn:
            kept = conn.execute(text("SELECT count(*) FROM outbox_files")).scalar_one()
            shared = conn.execute(
                text(
                    "SELECT count(DISTINCT file_id), count(*) FROM outbox_attachments a JOIN outbox_messages m"
                    " ON m.id = a.message_id WHERE m.key LIKE :k"
                ),
                {"k": f"report:digest:{run.key}:%"},
            ).one()
        assert (kept, tuple(shared)) == (6, (6, 12))
        payload = chat["payload"]
        assert payload["url"] == f"/reports/digest/preview?as_of={AS_OF}"
        assert payload["status"] == "off_track"  # the worst: lateness 0.2 > 0.1
        facts = dict(payload["facts"])
        assert "450" in facts["q_revenue"] and "2,700" in facts["q_revenue"] and "on track" in facts["q_revenue"]
        assert "0.2" in facts["lateness"] and "off track" in facts["lateness"]
        with store.engine.connect() as conn:
            kpis = conn.execute(text("SELECT kpis FROM report_runs WHERE id = :i"), {"i": run.id}).scalar_one()
        kpis = kpis if isinstance(kpis, dict) else json.loads(kpis)
        assert kpis["q_revenue|"]["actual"] == pytest.approx(15 * 30)
        assert kpis["by_region|NORTH"]["actual"] == pytest.approx(15 * 10)
        assert kpis["lateness|"]["actual"] == pytest.approx(6 / 30)
    finally:
        store.close()


def test_the_chat_receiver_gets_the_summary_and_the_link(
    tmp_path: Path, smtp: tuple[Mailbox, int], receiver: HttpReceiver
) -> None:
    box, port = smtp
    project = load(make_shop(tmp_path / "shop", smtp_port=port), chat_url=receiver.url + "/hook")
    store = refreshed(project, f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with Engine(project) as engine:
            run = send_report(project, store, engine, "digest", key=TICK, requested_by="scheduler")
        done = delivery.deliver_due(project, store)
        assert (done.delivered, done.errors) == (3, [])
    finally:
        store.close()
    [hook] = receiver.received
    assert hook.path == "/hook" and hook.headers.get("Content-Type", "").startswith("application/json")
    body = json.loads(hook.body)
    assert body["text"] == f"Weekly digest — as of {AS_OF}"
    [attachment] = body["attachments"]
    assert attachment["color"] == "#dc2626"  # off track: the app's red
    blocks = attachment["blocks"]
    assert blocks[1]["text"]["text"] == "4 KPIs: 2 off track, 2 on track."  # lateness and NORTH off track
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert any(f.startswith("*q_revenue*\n450 vs 2,700") for f in fields), fields
    assert blocks[3]["elements"][0]["url"] == f"{APP_URL}/reports/digest/preview?as_of={AS_OF}"
    assert sorted(rcpt for _, rcpts, _ in box.messages for rcpt in rcpts) == ["ops@shop.test", "sales@shop.test"]
    assert run.messages == 3


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_one_tick_sent_by_two_schedulers_at_once_is_one_run(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    if backend == "postgres":
        url = _pg_url(request)
    project = load(make_shop(tmp_path / "shop", smtp_port=2525))
    refreshed(project, url).close()
    stores = [Store.open(url), Store.open(url)]  # two processes' connections to one store
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def send(i: int) -> None:
        with Engine(project) as engine:
            barrier.wait()
            answers[i] = send_report(project, stores[i], engine, "digest", key=TICK, requested_by=f"scheduler {i}")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert answers[0] is not None and answers[1] is not None
        assert answers[0].id == answers[1].id and answers[0].messages == 3
        assert _runs(stores[0], "digest") == [(TICK, "succeeded", 3, None)]
        keys = [m["key"] for m in _messages(stores[0])]
        assert len(keys) == 3 and all(k.startswith(f"report:digest:{TICK}:") for k in keys)
        with Engine(project) as engine:  # and the same tick once more, later: nothing more
            again = send_report(project, stores[1], engine, "digest", key=TICK, requested_by="scheduler 3")
        assert again.id == answers[0].id and len(_messages(stores[0])) == 3
    finally:
        for store in stores:
            store.close()


def _pg_url(request: pytest.FixtureRequest) -> str:
    """A new PostgreSQL database for this test (dropped at its end)."""
    from tests.site_fixtures import new_pg_database

    base = request.getfixturevalue("pg_url")
    manager = new_pg_database(base, "onpace_reports")
    url = manager.__enter__()
    request.addfinalizer(lambda: manager.__exit__(None, None, None))
    return url


def test_a_render_that_fails_records_a_failed_run_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = load(make_shop(tmp_path / "shop", smtp_port=2525))
    store = refreshed(project, f"sqlite:///{tmp_path / 'store.db'}")

    def no_pango(document: str) -> Any:
        raise MissingDependencyError("the PDF renderer (WeasyPrint) cannot load Pango: libpango missing")

    monkeypatch.setattr(report_render, "_pdf", no_pango)
    try:
        with Engine(project) as engine:
            run = send_report(project, store, engine, "digest", key=TICK, requested_by="scheduler")
            assert (run.status, run.messages) == ("failed", 0)
            assert run.error == (
                "the report could not be rendered: the PDF renderer (WeasyPrint) cannot load Pango: libpango missing"
            )
            assert _messages(store) == []
            again = send_report(project, store, engine, "digest", key=TICK, requested_by="scheduler")
        assert again.id == run.id and again.status == "failed"  # the tick is done: a person sends it again
        assert _runs(store, "digest") == [(TICK, "failed", 0, run.error)]
    finally:
        store.close()


def test_the_next_report_is_told_what_the_last_one_showed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = load(make_shop(tmp_path / "shop", smtp_port=2525))
    store = refreshed(project, f"sqlite:///{tmp_path / 'store.db'}")
    seen: list[dict[str, Any]] = []
    real = report_delivery.render_report

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append({"since": kwargs["since"], "previous": kwargs["previous"], "formats": kwargs["formats"]})
        return real(*args, **kwargs)

    monkeypatch.setattr(report_delivery, "render_report", spy)
    try:
        with Engine(project) as engine:
            first = send_report(project, store, engine, "digest", requested_by="ana")
            # a test send to one address, and a look back: one-offs, not what the next report counts from
            test = send_report(project, store, engine, "digest", to="me@shop.test", requested_by="ana")
            back = send_report(project, store, engine, "digest", as_of=dt.date(2025, 3, 31), requested_by="ana")
            second = send_report(project, store, engine, "digest", requested_by="ana")
        assert second.id != first.id
        assert test.key.startswith("oneoff:") and back.key.startswith("oneoff:") and first.key.startswith("manual:")
        assert seen[0]["since"] is None and seen[0]["previous"] is None and seen[0]["formats"] == ["pdf", "csv"]
        assert seen[1]["since"] == seen[2]["since"] == seen[3]["since"] == first.started_at
        assert seen[3]["previous"]["q_revenue|"]["actual"] == pytest.approx(450.0)
    finally:
        store.close()


def test_to_sends_it_to_one_address_only(tmp_path: Path) -> None:
    project = load(make_shop(tmp_path / "shop", smtp_port=2525))
    store = refreshed(project, f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with Engine(project) as engine:
            run = send_report(project, store, engine, "digest", to="cfo@shop.test", requested_by="ana")
            assert run.messages == 1
            [message] = _messages(store)
            assert (message["channel"], message["to"]) == ("mail", "cfo@shop.test")
            assert message["key"] == f"report:digest:{run.key}:mail:cfo@shop.test"
            with pytest.raises(UserError, match="'cfo at shop' is not an email address"):
                send_report(project, store, engine, "digest", to="cfo at shop", requested_by="ana")
            with pytest.raises(NotFoundError, match="no report named 'digets'; did you mean 'digest'"):
                send_report(project, store, engine, "digets", requested_by="ana")
    finally:
        store.close()


def test_to_needs_an_email_channel(tmp_path: Path) -> None:
    only_chat = "reports:\n  - {name: digest, audience: {kpis: [q_revenue]}, recipients: [channel:chat]}\n"
    project = load(make_shop(tmp_path / "shop", smtp_port=None, reports=only_chat))
    store = refreshed(project, f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with Engine(project) as engine, pytest.raises(UserError, match="needs an email channel"):
            send_report(project, store, engine, "digest", to="cfo@shop.test", requested_by="ana")
        assert _runs(store, "digest") == []
    finally:
        store.close()


def test_recipients_that_cannot_be_reached_are_named_on_the_run(tmp_path: Path) -> None:
    project = load(make_shop(tmp_path / "shop", smtp_port=2525))
    store = refreshed(project, f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with Engine(project) as engine:  # Marketing owns 'later' and has no email
            run = send_report(project, store, engine, "marketing", requested_by="ana")
        assert (run.status, run.messages) == ("failed", 0)
        assert run.error == (
            "nobody to send it to: recipient 'owner': the owner 'Marketing' has no email (add them under people: in"
            " onpace.yml or a model file, or in the web app (Settings → People))"
        )
        assert _messages(store) == []
    finally:
        store.close()


def test_reports_listed_with_their_runs_and_schedule(tmp_path: Path) -> None:
    project = load(make_shop(tmp_path / "shop", smtp_port=2525))
    store = refreshed(project, f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with Engine(project) as engine:
            run = send_report(project, store, engine, "digest", requested_by="ana")
        digest, marketing = report_delivery.list_reports(project, store)
        assert digest.name == "digest" and digest.title == "Weekly digest"
        assert digest.kpis == ["q_revenue", "lateness", "by_region"]
        assert digest.schedule == "every Monday at 07:00 (Europe/London)"
        assert digest.last_run is not None and digest.last_run.id == run.id and len(digest.runs) == 1
        assert digest.next_at is not None and digest.next_at.astimezone(dt.UTC).minute == 0
        assert marketing.schedule is None and marketing.last_run is None and marketing.formats == ["csv"]
        assert [r.id for r in report_delivery.list_runs(project, store, "digest")] == [run.id]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("timing", "words"),
    [
        (Timing(cron="0 7 * * mon", timezone="Europe/London"), "every Monday at 07:00 (Europe/London)"),
        (Timing(cron="30 6 * * mon-fri"), "every Monday, Tuesday, Wednesday, Thursday and Friday at 06:30 (UTC)"),
        (Timing(cron="0 7 1 * *"), "on day 1 of every month at 07:00 (UTC)"),
        (Timing(cron="0 8 1 1,4,7,10 *"), "on day 1 of January, April, July and October at 08:00 (UTC)"),
        (Timing(cron="0 9 * * *"), "every day at 09:00 (UTC)"),
        (Timing(cron="*/5 9-17 * * *"), "cron '*/5 9-17 * * *' (UTC)"),
    ],
)
def test_schedules_in_words(timing: Timing, words: str) -> None:
    assert schedule_words(timing) == words


def test_long_outbox_keys_keep_their_start_and_stay_unique() -> None:
    a = report_delivery.outbox_key("digest", TICK, "mail", "a" * 240 + "@x.test")
    b = report_delivery.outbox_key("digest", TICK, "mail", "b" * 240 + "@x.test")
    assert len(a) == len(b) == 255 and a != b and a.startswith(f"report:digest:{TICK}:mail:")
    assert outbox.MAX_KEY == 255


def test_an_email_too_large_for_mail_servers_fails_the_run_with_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = load(make_shop(tmp_path / "shop", smtp_port=2525))
    store = refreshed(project, f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setattr(email, "MAX_EMAIL_BYTES", 1000)  # the email channel's cap; the shop's PDF alone is larger
    try:
        with Engine(project) as engine:
            run = send_report(project, store, engine, "digest", requested_by="ana")
        assert run.status == "failed" and run.messages == 0
        assert run.error is not None
        assert re.fullmatch(
            r"the email's charts and attachments take \d+\.\d MB, more than the 0\.001 MB a mail server accepts;"
            r" cover fewer KPIs \(audience\) or drop the pdf from formats",
            run.error,
        ), run.error
        assert _messages(store) == []
        with store.engine.connect() as conn:  # nothing kept either
            assert conn.execute(text("SELECT count(*) FROM outbox_files")).scalar_one() == 0
    finally:
        store.close()
