"""A report's email through a real SMTP server on loopback (aiosmtpd), taken apart with the email package.

The shop's numbers are worked out by hand (tests/services/report_shop.py): as of 2025-04-15, q_revenue
is 15 x 30 = 450, by_region NORTH 150 and SOUTH 300, lateness 6 late lines of 30 = 0.2.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from tests.services.report_shop import AS_OF, REPORTS, load, make_shop, refreshed

from onpace.catalog.channels import EmailChannel
from onpace.engine import Engine
from onpace.notify.email import build
from onpace.notify.message import Attachment, Message
from onpace.services import delivery
from onpace.services.report_delivery import send_report

from .test_email import Mailbox, _free_port

PNG = b"\x89PNG\r\n\x1a\n"
BY_EMAIL = REPORTS.replace("recipients: [owner, channel:chat]", "recipients: [owner]")


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[list[str], EmailMessage]]]:
    """The shop's digest sent and delivered to a loopback SMTP server: (recipients, message) of each email."""
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    folder = tmp_path_factory.mktemp("report-email")
    try:
        project = load(make_shop(folder / "shop", smtp_port=port, chat=False, reports=BY_EMAIL))
        store = refreshed(project, f"sqlite:///{folder / 'store.db'}")
        try:
            with Engine(project) as engine:
                run = send_report(
                    project, store, engine, "digest", key="scheduled:2025-04-21T06:00:00+00:00", requested_by="t"
                )
            assert run.messages == 2, run  # Sales (owner of q_revenue and by_region) and Operations
            done = delivery.deliver_due(project, store)
            assert (done.delivered, done.errors) == (2, [])
        finally:
            store.close()
        yield [(rcpts, message) for _, rcpts, message in box.messages]
    finally:
        controller.stop()


def _parents(message: EmailMessage) -> dict[int, EmailMessage]:
    """id(part) -> its multipart parent, for every part of ``message``."""
    found: dict[int, EmailMessage] = {}

    def walk(part: EmailMessage) -> None:
        if part.is_multipart():
            for child in part.iter_parts():
                assert isinstance(child, EmailMessage)
                found[id(child)] = part
                walk(child)

    walk(message)
    return found


def _one(received: list[tuple[list[str], EmailMessage]], to: str) -> EmailMessage:
    [message] = [m for rcpts, m in received if rcpts == [to]]
    return message


def test_each_owner_gets_one_email(received: list[tuple[list[str], EmailMessage]]) -> None:
    assert sorted(r for rcpts, _ in received for r in rcpts) == ["ops@shop.test", "sales@shop.test"]
    for rcpts, message in received:
        assert message["Subject"] == f"Weekly digest — as of {AS_OF}"
        assert message["To"] == rcpts[0]
        key = f"report:digest:scheduled:2025-04-21T06:00:00+00:00:mail:{rcpts[0]}"
        assert message["X-Onpace-Key"].strip() == key  # folded: a key this long has no space to break at
        assert message.get_content_type() == "multipart/mixed"


def test_the_html_shows_every_chart_inline(received: list[tuple[list[str], EmailMessage]]) -> None:
    message = _one(received, "sales@shop.test")
    html_part = message.get_body(("html",))
    assert html_part is not None
    parents = _parents(message)
    related = parents[id(html_part)]
    assert related.get_content_type() == "multipart/related"
    assert parents[id(related)].get_content_type() == "multipart/alternative"
    html = html_part.get_content()
    cids = re.findall(r'<img[^>]+src="cid:([^"]+)"', html)
    assert len(cids) == 4  # a chart per line: q_revenue, lateness, by_region NORTH and SOUTH
    images = {
        part["Content-ID"]: part
        for part in related.iter_parts()
        if isinstance(part, EmailMessage) and part.get_content_type() == "image/png"
    }
    for cid in cids:
        image = images[f"<{cid}>"]
        assert image.get_content_disposition() == "inline"
        assert image.get_content().startswith(PNG)
    assert len(images) == len(set(cids))
    plain = message.get_body(("plain",))
    assert plain is not None and "q_revenue" in plain.get_content()


def test_the_pdf_and_csv_are_attached(received: list[tuple[list[str], EmailMessage]], tmp_path: Path) -> None:
    message = _one(received, "ops@shop.test")
    files = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(files) == {f"digest-{AS_OF}.pdf", f"digest-{AS_OF}.csv"}
    pdf = files[f"digest-{AS_OF}.pdf"]
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content_disposition() == "attachment"
    data = pdf.get_content()
    assert data.startswith(b"%PDF")
    (tmp_path / "digest.pdf").write_bytes(data)
    shown = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "digest.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Weekly digest" in shown and "450" in shown

    table = files[f"digest-{AS_OF}.csv"]
    assert table.get_content_type() == "text/csv"
    raw = table.get_content()
    rows = list(csv.DictReader(io.StringIO(raw if isinstance(raw, str) else raw.decode("utf-8"))))
    actual = {(r["kpi"], r["segment"]): float(r["actual"]) for r in rows}
    assert actual == pytest.approx(
        {
            ("q_revenue", ""): 15 * 30.0,
            ("lateness", ""): 6 / 30,
            ("by_region", "NORTH"): 150.0,
            ("by_region", "SOUTH"): 300.0,
        }
    )
    assert {r["as_of"] for r in rows} == {AS_OF}


def test_an_email_without_files_is_as_before() -> None:
    channel = EmailChannel(type="email", to=["a@shop.test"])
    mail = build(channel, Message(key="k", subject="s", text="plain", html="<p>html</p>"), {})
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]


def test_without_html_an_inline_image_is_an_attachment() -> None:
    channel = EmailChannel(type="email", to=["a@shop.test"])
    image = Attachment("chart.png", "image/png", PNG + b"rest", content_id="chart")
    mail = build(channel, Message(key="k", subject="s", text="plain", attachments=(image,)), {})
    assert mail.get_content_type() == "multipart/mixed"
    [part] = list(mail.iter_attachments())
    assert isinstance(part, EmailMessage)
    assert (part.get_filename(), part.get_content_type(), part["Content-ID"]) == ("chart.png", "image/png", None)
    assert part.get_content() == PNG + b"rest"


def test_one_email_through_the_server_keeps_its_bytes(smtp: tuple[Mailbox, int]) -> None:
    """Binary files survive the SMTP trip: a PDF's and a PNG's bytes come back as sent."""
    from onpace.notify.email import send

    box, port = smtp
    channel = EmailChannel(type="email", to=["a@shop.test"], host="127.0.0.1", port=port, security="none")
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    image = PNG + bytes(range(255, -1, -1))
    message = Message(
        key="k1",
        subject="files",
        text="see the files",
        html='<p><img src="cid:c1"></p>',
        attachments=(Attachment("c1.png", "image/png", image, "c1"), Attachment("r.pdf", "application/pdf", pdf)),
    )
    send(channel, message, env={}, timeout=10)
    [(_, _, got)] = box.messages
    [attached] = list(got.iter_attachments())
    assert attached.get_content() == pdf
    [inline] = [p for p in got.walk() if p.get("Content-ID") == "<c1>"]
    assert inline.get_content() == image
