"""The outbox: messages written in the transaction that caused them, then delivered with a lease.

:func:`enqueue` is called by whoever decides a message is due (an alert's transition), in *its*
session, so the message exists exactly when the transition does. Delivering
(:mod:`onpace.services.delivery`) then:

1. :func:`due_ids` lists messages that may be tried now: ``queued`` or ``failed`` ones whose
   ``next_attempt_at`` has come, and ``sending`` ones whose lease has expired (their deliverer died);
2. :func:`claim` takes one with a compare-and-set UPDATE (it changes the row only if it is still
   claimable), so of two deliverers racing for a message exactly one gets it, on SQLite and on
   PostgreSQL alike; the claim records the attempt (``sending``) in the same transaction, and marks
   the attempt of a deliverer whose lease expired ``interrupted``;
3. the message is sent outside any transaction, with ``key`` as its idempotency key (the same on
   every try, so a receiver can drop a resend of a message it already has);
4. :func:`finish` records the outcome: ``delivered`` (never tried again), ``failed`` with the time of
   the next try, or ``dead``.

A delivered message is final: nothing here moves it back (``retry`` refuses it).

Files: a message's attachments (``outbox_attachments``: its file names, types and content ids)
refer to bytes kept once in ``outbox_files``. :func:`keep_files` stores files once for many
messages (a report run's PDF and charts, whatever the number of recipients), and :func:`enqueue`
attaches them; files given to :func:`enqueue` as bytes are kept for that message alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from onpace.errors import ConflictError, NotFoundError
from onpace.store.coltypes import utcnow
from onpace.store.models import OutboxAttachment, OutboxAttempt, OutboxFile, OutboxMessage, OutboxStatus
from onpace.store.upsert import insert

MAX_KEY = 255
MAX_ERROR = 2000  # characters of an error kept on an attempt and on the message


class AttachmentData(Protocol):
    """A file to send with a message (``onpace.notify.message.Attachment`` is one)."""

    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def content_id(self) -> str | None: ...


@dataclass(frozen=True)
class KeptFile:
    """A file kept in the outbox (:func:`keep_files`), to attach to any number of messages."""

    file_id: int
    filename: str
    content_type: str
    content_id: str | None
    size: int


def keep_files(s: Session, files: Sequence[AttachmentData]) -> list[KeptFile]:
    """Store the bytes of ``files`` once each (``outbox_files``), in the caller's transaction; what
    :func:`enqueue` attaches to each message that sends them (a file kept and never attached is
    rolled back with a transaction that queues nothing, or stays unreferenced)."""
    now = utcnow()
    rows = [OutboxFile(size=len(f.data), data=bytes(f.data), created_at=now) for f in files]
    if rows:
        s.add_all(rows)
        s.flush()  # gives each its id
    return [KeptFile(r.id, f.filename, f.content_type, f.content_id, r.size) for r, f in zip(rows, files, strict=True)]


def enqueue(
    s: Session,
    *,
    channel: str,
    to: str | None,
    subject: str,
    text: str,
    html: str | None = None,
    payload: dict[str, Any] | None = None,
    key: str,
    origin: str,
    attachments: Sequence[AttachmentData | KeptFile] = (),
) -> int | None:
    """Queue one message; `key` is the idempotency key (unique): a second enqueue with the same key
    queues nothing and returns None. `channel` is a name in ProjectConfig.channels; `to` is the
    address for an email channel (None: the channel's own recipients). `origin` e.g. 'alert:<rule>'.
    `attachments`: its files (distinct file names): files kept already (:func:`keep_files`, shared
    with other messages) or bytes, kept for this message; none is written when nothing is queued.

    Runs in the caller's session and transaction (an INSERT … ON CONFLICT DO NOTHING, so a repeated
    key does not spoil that transaction); the message is committed, or not, with the rest of it.
    """
    names = [a.filename for a in attachments]
    if len(set(names)) != len(names):
        raise ValueError(f"the attachments of a message have distinct file names, got {names}")
    if not key or len(key) > MAX_KEY:
        raise ValueError(f"an outbox key has 1 to {MAX_KEY} characters, got {len(key)}")
    now = utcnow()
    values = {
        "key": key,
        "channel": channel,
        "recipient": to,
        "subject": subject,
        "text": text,
        "html": html,
        "payload": payload,
        "origin": origin[:MAX_KEY],
        "status": "queued",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
    table = OutboxMessage.__table__
    stmt = insert(s, table)  # type: ignore[arg-type]  # __table__ is typed as a FromClause
    stmt = stmt.values(**values).on_conflict_do_nothing(index_elements=["key"])
    result = s.execute(stmt.returning(table.c.id))
    row = result.first()
    if row is None:
        return None
    message_id = int(row[0])
    fresh = [a for a in attachments if not isinstance(a, KeptFile)]
    kept = iter(keep_files(s, fresh))
    for a in attachments:
        file = a if isinstance(a, KeptFile) else next(kept)
        s.add(
            OutboxAttachment(
                message_id=message_id,
                file_id=file.file_id,
                filename=file.filename,
                content_type=file.content_type,
                content_id=file.content_id,
            )
        )
    if attachments:
        s.flush()
    return message_id


def attachments_of(s: Session, message_id: int) -> list[OutboxAttachment]:
    """The files of message ``message_id``, in the order they were queued, each with its bytes (``data``)."""
    stmt = select(OutboxAttachment).where(OutboxAttachment.message_id == message_id).order_by(OutboxAttachment.id)
    return list(s.scalars(stmt))


def _claimable(now: dt.datetime) -> Any:
    m = OutboxMessage
    return or_(
        and_(m.status.in_(("queued", "failed")), m.next_attempt_at <= now),
        and_(m.status == "sending", m.lease_expires_at <= now),
    )


def due_ids(s: Session, now: dt.datetime, limit: int) -> list[int]:
    """Ids of the messages that may be tried at ``now``, the longest waiting first."""
    m = OutboxMessage
    stmt = select(m.id).where(_claimable(now)).order_by(m.next_attempt_at, m.id).limit(limit)
    return list(s.scalars(stmt))


def claim(
    s: Session, message_id: int, *, worker: str, now: dt.datetime, lease: dt.timedelta
) -> tuple[OutboxMessage, bool] | None:
    """Take message ``message_id`` for ``worker`` until ``now + lease``; None when another has it.

    Returns the message and whether it was taken over from a deliverer whose lease had run out.

    The UPDATE changes the row only while it is still claimable: a second deliverer's UPDATE waits
    for the first's (a row lock on PostgreSQL, the write lock on SQLite), then finds it claimed.
    The try is numbered and recorded as ``sending``; a try whose lease ran out is ``interrupted``.
    """
    m = OutboxMessage
    taken = s.execute(
        update(m)
        .where(m.id == message_id, _claimable(now))
        .values(
            status="sending",
            lease_owner=worker,
            lease_expires_at=now + lease,
            attempts=m.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
        return None
    message = s.get(m, message_id, populate_existing=True)
    assert message is not None
    interrupted = s.execute(
        update(OutboxAttempt)
        .where(OutboxAttempt.message_id == message_id, OutboxAttempt.outcome == "sending")
        .values(
            outcome="interrupted",
            finished_at=now,
            error="the deliverer stopped before recording the outcome (its lease expired)",
        )
    )
    s.add(OutboxAttempt(message_id=message_id, number=message.attempts, worker=worker, started_at=now))
    s.flush()
    return message, bool(interrupted.rowcount)  # type: ignore[attr-defined]


def finish(
    s: Session,
    message_id: int,
    *,
    worker: str,
    number: int,
    now: dt.datetime,
    status: OutboxStatus,
    error: str | None = None,
    next_attempt_at: dt.datetime | None = None,
) -> bool:
    """Record how try ``number`` of ``worker`` ended: ``delivered``, ``failed`` (tried again at
    ``next_attempt_at``) or ``dead``. False when the worker had lost the message meanwhile (its lease
    ran out and another took it): then only the try is recorded, the message is the other's."""
    error = error[:MAX_ERROR] if error else None
    outcome = "delivered" if status == "delivered" else "failed"
    s.execute(
        update(OutboxAttempt)
        .where(OutboxAttempt.message_id == message_id, OutboxAttempt.number == number)
        .values(outcome=outcome, finished_at=now, error=error)
    )
    m = OutboxMessage
    values: dict[str, Any] = {"status": status, "lease_owner": None, "lease_expires_at": None}
    if status == "delivered":
        values |= {"delivered_at": now, "last_error": None}
    else:
        values["last_error"] = error
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    changed = s.execute(
        update(m)
        .where(m.id == message_id, m.lease_owner == worker, m.attempts == number, m.status == "sending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(changed.rowcount == 1)  # type: ignore[attr-defined]


def get(s: Session, message_id: int) -> OutboxMessage:
    message = s.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundError(f"no message {message_id} in the outbox")
    return message


def attempts_of(s: Session, message_ids: Sequence[int]) -> dict[int, list[OutboxAttempt]]:
    """The tries of each message, in order."""
    found: dict[int, list[OutboxAttempt]] = {i: [] for i in message_ids}
    if not message_ids:
        return found
    stmt = (
        select(OutboxAttempt)
        .where(OutboxAttempt.message_id.in_(list(message_ids)))
        .order_by(OutboxAttempt.message_id, OutboxAttempt.number)
    )
    for attempt in s.scalars(stmt):
        found[attempt.message_id].append(attempt)
    return found


def list_messages(
    s: Session,
    *,
    status: Sequence[str] = (),
    channel: str | None = None,
    origin: str | None = None,
    limit: int = 100,
) -> list[OutboxMessage]:
    """Messages, newest first; ``origin`` matches a prefix (``alert:`` gives every alert's)."""
    m = OutboxMessage
    stmt = select(m).order_by(m.created_at.desc(), m.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(m.status.in_(list(status)))
    if channel:
        stmt = stmt.where(m.channel == channel)
    if origin:
        escaped = origin.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(m.origin.like(escaped + "%", escape="\\"))
    return list(s.scalars(stmt))


def retry(s: Session, message_id: int, now: dt.datetime) -> OutboxMessage:
    """Make a failed or dead message due now, with a new count of tries; a delivered one is refused."""
    message = get(s, message_id)
    if message.status == "delivered":
        raise ConflictError(f"message {message_id} was delivered: it is never sent again")
    if message.status == "sending" and message.lease_expires_at is not None and message.lease_expires_at > now:
        raise ConflictError(f"message {message_id} is being sent right now")
    message.status = "failed" if message.attempts else "queued"
    message.next_attempt_at = now
    message.lease_owner = None
    message.lease_expires_at = None
    s.flush()
    return message


def counts(s: Session) -> dict[str, int]:
    """How many messages have each status (every status, 0 when none)."""
    m = OutboxMessage
    found = {str(row[0]): int(row[1]) for row in s.execute(select(m.status, func.count()).group_by(m.status))}
    return {status: int(found.get(status, 0)) for status in ("queued", "sending", "failed", "delivered", "dead")}


def recent_errors(s: Session, limit: int = 10) -> list[tuple[OutboxMessage, OutboxAttempt]]:
    """The last failed tries, newest first, with their messages."""
    stmt = (
        select(OutboxMessage, OutboxAttempt)
        .join(OutboxAttempt, OutboxAttempt.message_id == OutboxMessage.id)
        .where(OutboxAttempt.outcome.in_(("failed", "interrupted")))
        .order_by(OutboxAttempt.started_at.desc(), OutboxAttempt.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in s.execute(stmt).all()]
