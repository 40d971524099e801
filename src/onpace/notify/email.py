"""Email over SMTP with smtplib: STARTTLS (the default), implicit TLS, or none; login from the environment.

An email carries at most :data:`MAX_EMAIL_BYTES` of files (charts, PDF, CSV): :func:`check_size`
says so in words, when the email is built and before one is queued (a report run fails at once).

Where settings are missing from the channel they come from the environment: ``ONPACE_SMTP_HOST``,
``ONPACE_SMTP_PORT``, ``ONPACE_SMTP_SECURITY``, ``ONPACE_SMTP_FROM``; the login from the variables the
channel names (``ONPACE_SMTP_USER`` and ``ONPACE_SMTP_PASSWORD`` by default), and
``ONPACE_SMTP_CA_FILE`` for a server whose certificate a private authority signed. Certificates are
always verified. A password is never sent over an unencrypted connection.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import format_datetime

from onpace.catalog.channels import EmailChannel
from onpace.notify.message import Attachment, Message, SendError

PORTS = {"starttls": 587, "tls": 465, "none": 25}
# an email's charts and attachments at most: mail servers commonly refuse more than 20-25 MB (base64 adds a third)
MAX_EMAIL_BYTES = 15_000_000


class EmailTooLarge(SendError):
    """An email whose files are more than a mail server accepts; the text says how much."""

    permanent = True  # the same files are as large on the next try


def check_size(files: Iterable[Attachment]) -> None:
    """EmailTooLarge when ``files`` take more than :data:`MAX_EMAIL_BYTES`: every email is capped
    (:func:`build` asks), and a sender that queues one asks first, to fail at once instead of
    after the deliverer's tries."""
    size = sum(len(f.data) for f in files)
    if size > MAX_EMAIL_BYTES:
        raise EmailTooLarge(
            f"the email's charts and attachments take {size / 1e6:.1f} MB, more than the"
            f" {MAX_EMAIL_BYTES / 1e6:g} MB a mail server accepts"
        )


def build(channel: EmailChannel, message: Message, env: Mapping[str, str]) -> EmailMessage:
    """The email of ``message``: plain text, with an HTML alternative when there is one, and its files.

    Images with a content id go with the HTML in a ``multipart/related`` part (``Content-ID``,
    ``Content-Disposition: inline``), where ``<img src="cid:...">`` finds them; other files are
    attachments of the whole message (``multipart/mixed``)::

        multipart/mixed
          multipart/alternative
            text/plain
            multipart/related
              text/html
              image/png (inline, Content-ID)
          application/pdf (attachment)
          text/csv (attachment)
    """
    recipients = [message.to] if message.to else list(channel.to)
    if not recipients:
        raise SendError("no recipient: the message has none and the channel lists none in 'to'")
    check_size(message.attachments)
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = channel.sender or env.get("ONPACE_SMTP_FROM") or "onpace@localhost"
    mail["To"] = ", ".join(recipients)
    mail["Message-ID"] = message.message_id  # the same on every try of this message
    mail["X-Onpace-Key"] = message.key
    if message.created_at is not None:
        mail["Date"] = format_datetime(message.created_at)
    mail.set_content(message.text)
    files = list(message.attachments)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
        inline = [a for a in files if a.content_id is not None]
        html_part = mail.get_body(("html",))
        if inline and html_part is not None:
            for image in inline:
                maintype, subtype = _types(image.content_type)
                html_part.add_related(
                    image.data,
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{image.content_id}>",
                    disposition="inline",
                    filename=image.filename,
                )
            files = [a for a in files if a.content_id is None]
    for file in files:  # without an HTML body, an inline image is an attachment like the others
        maintype, subtype = _types(file.content_type)
        mail.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=file.filename)
    return mail


def _types(content_type: str) -> tuple[str, str]:
    """``image/png`` -> (``image``, ``png``); a type without a slash is sent as bytes."""
    maintype, _, subtype = content_type.partition(";")[0].strip().partition("/")
    return (maintype, subtype) if maintype and subtype else ("application", "octet-stream")


def send(channel: EmailChannel, message: Message, *, env: Mapping[str, str], timeout: float) -> None:
    mail = build(channel, message, env)
    security = channel.security or env.get("ONPACE_SMTP_SECURITY") or "starttls"
    if security not in PORTS:
        raise SendError(f"ONPACE_SMTP_SECURITY is {security!r}; expected starttls, tls or none")
    host = channel.host or env.get("ONPACE_SMTP_HOST") or "localhost"
    port = channel.port or _port(env.get("ONPACE_SMTP_PORT")) or PORTS[security]
    user = env.get(channel.user_env) or None
    password = env.get(channel.password_env) or None
    if password and security == "none":
        raise SendError(
            f"refusing to send the SMTP password unencrypted to {host}:{port}; expected security starttls or tls"
        )
    context = ssl.create_default_context(cafile=env.get("ONPACE_SMTP_CA_FILE") or None)
    try:
        if security == "tls":
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if security == "starttls":
                server.starttls(context=context)
            if user:
                server.login(user, password or "")
            refused = server.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"the SMTP server {host}:{port} refused the login ({exc.smtp_code})") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"SMTP {host}:{port}: {type(exc).__name__}: {exc}") from None
    if refused:
        raise SendError(f"the SMTP server refused recipients: {', '.join(sorted(refused))}")


def _port(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise SendError(f"ONPACE_SMTP_PORT is {value!r}; expected a port number") from None
