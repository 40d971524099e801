"""Every email is capped at notify.email.MAX_EMAIL_BYTES of files, whatever queued it: building a larger
one fails with how large it is, and so does delivering it (nothing reaches the mail server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from onpace.catalog.channels import EmailChannel
from onpace.catalog.project import load_project
from onpace.notify import email
from onpace.notify.message import Attachment, Message
from onpace.services import delivery
from onpace.store import Store, outbox

from .receivers import write_project
from .test_email import Mailbox, _free_port

CHANNEL = EmailChannel.model_validate({"type": "email", "to": ["ops@x.test"]})


def _message(*sizes: int) -> Message:
    files = tuple(Attachment(f"f{i}.bin", "application/octet-stream", b"x" * n) for i, n in enumerate(sizes))
    return Message(key="k", subject="s", text="t", attachments=files)


def test_an_email_at_the_cap_is_built_one_byte_more_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(email, "MAX_EMAIL_BYTES", 3_000_000)
    built = email.build(CHANNEL, _message(2_000_000, 1_000_000), {})  # exactly the cap: 3.0 MB
    assert len(built.get_payload()) == 3  # the text and the two files
    with pytest.raises(email.EmailTooLarge) as raised:
        email.build(CHANNEL, _message(2_000_000, 1_000_001), {})
    assert str(raised.value) == (
        "the email's charts and attachments take 3.0 MB, more than the 3 MB a mail server accepts"
    )


def test_the_cap_is_15_mb() -> None:
    assert email.MAX_EMAIL_BYTES == 15_000_000
    email.check_size(_message(15_000_000).attachments)
    with pytest.raises(email.EmailTooLarge, match=r"take 15\.0 MB, more than the 15 MB a mail server accepts"):
        email.check_size(_message(14_000_000, 1_000_001).attachments)


def test_a_queued_email_over_the_cap_fails_its_delivery_with_why(
    tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(email, "MAX_EMAIL_BYTES", 100)
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        write_project(tmp_path, f"  mail: {{type: email, host: 127.0.0.1, port: {port}, security: none}}\n")
        project = load_project(tmp_path)
        with sqlite_store.session() as s:
            outbox.enqueue(
                s,
                channel="mail",
                to="ops@x.test",
                subject="big",
                text="t",
                key="alert:big",
                origin="alert:big",
                attachments=[Attachment("big.bin", "application/octet-stream", b"x" * 101)],
            )
        run = delivery.deliver_due(project, sqlite_store)
    finally:
        controller.stop()
    # the same files are as large on the next try: given up at once (dead), not retried
    assert (run.delivered, run.failed, run.dead) == (0, 0, 1)
    with sqlite_store.session() as s:
        assert [m.status for m in outbox.list_messages(s)] == ["dead"]
    assert run.errors[0].endswith(
        "the email's charts and attachments take 0.0 MB, more than the 0.0001 MB a mail server accepts"
    )
    assert box.messages == []
