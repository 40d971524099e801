"""Email through a real SMTP server on loopback (aiosmtpd): plain, STARTTLS with a login, implicit TLS."""

from __future__ import annotations

import datetime as dt
import email
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from onpace.catalog.project import load_project
from onpace.services import delivery
from onpace.store import Store, outbox

from .receivers import write_project

T0 = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every envelope it is given."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def _queue(store: Store, to: str | None = None, html: str | None = None) -> None:
    with store.session() as s:
        outbox.enqueue(
            s,
            channel="mail",
            to=to,
            subject="Revenue is off track",
            text="Revenue to date is 812 against 1,000 expected.\n",
            html=html,
            key="alert:revenue:firing:1",
            origin="alert:revenue",
        )


def test_email_arrives_with_subject_body_and_recipients(
    tmp_path: Path, sqlite_store: Store, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    write_project(
        tmp_path,
        f"  mail:\n    type: email\n    host: 127.0.0.1\n    port: {port}\n    security: none\n"
        "    from: onpace@shop.example\n    to: [ops@shop.example, ceo@shop.example]\n",
    )
    project = load_project(tmp_path, env={})
    _queue(sqlite_store, html="<p>Revenue to date is <b>812</b></p>")
    run = delivery.deliver_due(project, sqlite_store, now=T0)
    assert run.delivered == 1, run.errors

    [(sender, recipients, mail)] = box.messages
    assert sender == "onpace@shop.example"
    assert recipients == ["ops@shop.example", "ceo@shop.example"]
    assert mail["Subject"] == "Revenue is off track"
    assert mail["To"] == "ops@shop.example, ceo@shop.example"
    assert mail["X-Onpace-Key"] == "alert:revenue:firing:1"
    assert mail["Message-ID"].endswith("@onpace>")
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert (
        plain is not None
        and plain.get_content().replace("\r\n", "\n") == "Revenue to date is 812 against 1,000 expected.\n"
    )
    assert html is not None and "<b>812</b>" in html.get_content()


def test_a_message_to_one_address_goes_only_there(
    tmp_path: Path, sqlite_store: Store, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    write_project(tmp_path, f"  mail:\n    type: email\n    host: 127.0.0.1\n    port: {port}\n    security: none\n")
    # the sender comes from the environment when the channel has none
    project = load_project(tmp_path, env={"ONPACE_SMTP_FROM": "alerts@shop.example"})
    _queue(sqlite_store, to="maria@shop.example")
    assert delivery.deliver_due(project, sqlite_store, now=T0).delivered == 1
    [(sender, recipients, _)] = box.messages
    assert (sender, recipients) == ("alerts@shop.example", ["maria@shop.example"])


def test_starttls_with_a_login_from_the_environment(
    tmp_path: Path, sqlite_store: Store, certificate: tuple[Path, Path]
) -> None:
    box, port = Mailbox(), _free_port()
    logins: list[tuple[bytes, bytes]] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=(data.login, data.password) == (b"mailer", b"pa55word"))

    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        write_project(
            tmp_path,
            f"  mail:\n    type: email\n    host: 127.0.0.1\n    port: {port}\n    security: starttls\n"
            "    to: [ops@shop.example]\n    user_env: SMTP_LOGIN\n    password_env: SMTP_SECRET\n",
        )
        env = {"SMTP_LOGIN": "mailer", "SMTP_SECRET": "pa55word", "ONPACE_SMTP_CA_FILE": str(certificate[0])}
        _queue(sqlite_store)
        run = delivery.deliver_due(load_project(tmp_path, env=env), sqlite_store, now=T0)
        assert run.delivered == 1, run.errors
        assert logins == [(b"mailer", b"pa55word")]
        [(_, recipients, mail)] = box.messages
        assert recipients == ["ops@shop.example"] and mail["Subject"] == "Revenue is off track"

    finally:
        controller.stop()


def test_starttls_refuses_a_certificate_it_cannot_verify(
    tmp_path: Path, sqlite_store: Store, certificate: tuple[Path, Path]
) -> None:
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=_server_context(certificate))
    controller.start()
    try:
        write_project(
            tmp_path, f"  mail:\n    type: email\n    host: 127.0.0.1\n    port: {port}\n    to: [ops@shop.example]\n"
        )
        _queue(sqlite_store)
        run = delivery.deliver_due(load_project(tmp_path, env={}), sqlite_store, now=T0)
        assert run.failed == 1 and "CERTIFICATE_VERIFY_FAILED" in run.errors[0]
        assert box.messages == []
    finally:
        controller.stop()


def test_implicit_tls(tmp_path: Path, sqlite_store: Store, certificate: tuple[Path, Path]) -> None:
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, ssl_context=_server_context(certificate))
    controller.start()
    try:
        write_project(
            tmp_path,
            f"  mail:\n    type: email\n    host: 127.0.0.1\n    port: {port}\n    security: tls\n"
            "    to: [ops@shop.example]\n",
        )
        _queue(sqlite_store)
        env = {"ONPACE_SMTP_CA_FILE": str(certificate[0])}
        run = delivery.deliver_due(load_project(tmp_path, env=env), sqlite_store, now=T0)
        assert run.delivered == 1, run.errors
        assert [m[1] for m in box.messages] == [["ops@shop.example"]]
    finally:
        controller.stop()


def test_a_password_is_never_sent_unencrypted(tmp_path: Path, sqlite_store: Store, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    write_project(
        tmp_path,
        f"  mail:\n    type: email\n    host: 127.0.0.1\n    port: {port}\n    security: none\n    to: [a@b.example]\n",
    )
    _queue(sqlite_store)
    env = {"ONPACE_SMTP_USER": "mailer", "ONPACE_SMTP_PASSWORD": "pa55word"}
    run = delivery.deliver_due(load_project(tmp_path, env=env), sqlite_store, now=T0)
    assert run.failed == 1 and "refusing to send the SMTP password unencrypted" in run.errors[0]
    assert box.messages == []
