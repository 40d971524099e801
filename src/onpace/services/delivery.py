"""Delivering the outbox: claim due messages under a lease, send them, record every try, retry, give up.

- **Exactly one sender at a time.** A message is claimed with a compare-and-set in the store
  (:func:`onpace.store.outbox.claim`) for ``notifications.lease_seconds``; two deliverers (threads,
  processes, servers on one store) never hold the same message at once.
- **A crash resends with the same key.** A deliverer that dies mid-send leaves its message
  ``sending``; when the lease runs out another takes it over and sends it again, with the same
  idempotency key (the webhook's ``Idempotency-Key``, the email's ``Message-ID``), so a receiver
  that got the first can drop the second.
- **Delivered is final.** Once a channel confirms a message it is ``delivered`` and never claimed again.
- **Retries** back off exponentially from ``retry_seconds``, doubling, capped at ``max_retry_seconds``,
  less a random part up to a quarter (so failed messages do not all come back at once).
- **Dead letters.** After ``max_attempts`` failed tries (or at once, when the channel says trying again
  cannot help: an email over the size cap) a message is ``dead`` and one message per
  admin recipient (``notifications.admins``) is queued, once (its key names the dead message).

The message is sent outside any store transaction (a slow SMTP server holds no lock); the claim and
the outcome are each their own short transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import socket
from collections.abc import Sequence

from sqlalchemy.orm import Session

from onpace.catalog.channels import EmailChannel
from onpace.catalog.models import ProjectConfig
from onpace.catalog.project import Project
from onpace.config import Settings
from onpace.notify.message import Attachment, Message, SendError
from onpace.notify.send import send
from onpace.services.views.delivery import (
    DeliveryError,
    DeliveryHealth,
    DeliveryRun,
    OutboxAttemptView,
    OutboxMessageView,
)
from onpace.store import outbox
from onpace.store.audit import audit
from onpace.store.coltypes import utcnow
from onpace.store.db import Store
from onpace.store.models import OutboxAttachment, OutboxAttempt, OutboxMessage, OutboxStatus

log = logging.getLogger("onpace.delivery")

ADMIN_ORIGIN = "admin:dead"
# where a person's email is written: said by every message about someone who cannot be reached
ADD_PERSON = "under people: in onpace.yml or a model file, or in the web app (Settings → People)"
HEALTH_ERRORS = 10


def new_worker() -> str:
    """A name for one deliverer: host, process and a random part (threads of a process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> dt.timedelta:
    """The wait after ``attempts`` failed tries: ``base * 2**(attempts-1)``, capped, less up to 25% jitter."""
    raw = min(cap, base * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=raw * (1 - 0.25 * (rng or random).random()))


def deliver_due(
    project: Project,
    store: Store,
    *,
    now: dt.datetime | None = None,
    limit: int = 100,
    worker: str | None = None,
) -> DeliveryRun:
    """Deliver up to ``limit`` messages that are due at ``now`` (default: the clock at each step)."""
    settings = project.config.notifications
    environment = Settings().environment
    worker = worker or new_worker()
    lease = dt.timedelta(seconds=settings.lease_seconds)
    run = DeliveryRun(claimed=0, delivered=0, failed=0, dead=0)

    def clock() -> dt.datetime:
        return now if now is not None else utcnow()

    with store.session() as s:
        due = outbox.due_ids(s, clock(), limit)
    for message_id in due:
        with store.session() as s:
            claimed = outbox.claim(s, message_id, worker=worker, now=clock(), lease=lease)
            if claimed is None:
                continue  # another deliverer took it first
            row, taken_over = claimed
            message, number, channel_name = _message(row, outbox.attachments_of(s, row.id)), row.attempts, row.channel
        run.claimed += 1
        run.taken_over += taken_over
        error, permanent = _send(project, channel_name, message, environment)
        with store.session() as s:
            status: OutboxStatus
            if error is None:
                status, next_at = "delivered", None
            elif permanent or number >= settings.max_attempts:
                status, next_at = "dead", None
            else:
                status = "failed"
                next_at = clock() + backoff(number, base=settings.retry_seconds, cap=settings.max_retry_seconds)
            kept = outbox.finish(
                s,
                message_id,
                worker=worker,
                number=number,
                now=clock(),
                status=status,
                error=error,
                next_attempt_at=next_at,
            )
            if kept and status == "dead" and not message.origin.startswith("admin:"):
                run.admin_alerts += _alert_admins(project, s, message_id, message, channel_name, number, error, run)
        if error is None:
            run.delivered += 1
        else:
            run.errors.append(f"message {message_id} ({channel_name}): {error}")
            if status == "dead":
                run.dead += 1
            else:
                run.failed += 1
        if not kept:
            log.warning("message %s was taken over by another deliverer while %s sent it", message_id, worker)
    return run


def _message(row: OutboxMessage, files: Sequence[OutboxAttachment] = ()) -> Message:
    return Message(
        key=row.key,
        subject=row.subject,
        text=row.text,
        to=row.recipient,
        html=row.html,
        payload=dict(row.payload or {}),
        origin=row.origin,
        created_at=row.created_at,
        attachments=tuple(Attachment(f.filename, f.content_type, bytes(f.data), f.content_id) for f in files),
    )


def _send(project: Project, name: str, message: Message, environment: str) -> tuple[str | None, bool]:
    """Send one message: None when confirmed, else why, and whether trying again cannot help."""
    """Send; None when the channel confirmed it, else why not."""
    channel = project.config.channels.get(name)
    if channel is None:
        known = ", ".join(project.config.channels) or "none"
        return f"no channel '{name}' in onpace.yml (channels: {known})", False
    settings = project.config.notifications
    try:
        send(
            name,
            channel,
            message,
            root=project.root,
            env=project.env,
            environment=environment,
            timeout=settings.timeout_seconds,
            app_url=settings.app_url,
        )
    except SendError as exc:
        return str(exc) or type(exc).__name__, exc.permanent
    except Exception as exc:
        log.exception("sending message %s through %s failed unexpectedly", message.key, name)
        return f"unexpected {type(exc).__name__}: {exc}", False
    return None, False


def _alert_admins(
    project: Project,
    s: Session,
    message_id: int,
    message: Message,
    channel: str,
    attempts: int,
    error: str | None,
    run: DeliveryRun,
) -> int:
    """Queue one message per admin recipient about dead message ``message_id`` (once: keyed by it)."""
    admins = project.config.notifications.admins
    if not admins:
        log.warning("message %s is dead and notifications.admins names nobody to tell", message_id)
        return 0
    try:
        targets = resolve_recipients(project, list(admins), kpi_owner=None)
    except ValueError as exc:
        run.errors.append(f"cannot tell the admins about dead message {message_id}: {exc}")
        return 0
    subject = f"onpace could not deliver a message through '{channel}' after {attempts} tries"
    text = (
        f"The message '{message.subject}' (outbox id {message_id}, from {message.origin or 'unknown'}) "
        f"was given up after {attempts} tries through channel '{channel}'.\n"
        f"Last error: {error}\n\n"
        f"See it with 'onpace outbox list --status dead'; send it again with 'onpace outbox retry {message_id}'."
    )
    payload = {
        "title": subject,
        "status": "dead",
        "facts": {"Message": message.subject, "Channel": channel, "Tries": str(attempts), "Last error": error or ""},
        "dead_message_id": message_id,
    }
    queued = 0
    for target, to in targets:
        key = f"dead:{message_id}:{target}:{to or ''}"[: outbox.MAX_KEY]
        found = outbox.enqueue(
            s, channel=target, to=to, subject=subject, text=text, payload=payload, key=key, origin=ADMIN_ORIGIN
        )
        queued += found is not None
    return queued


def resolve_recipients(
    project: Project, recipients: list[str], *, kpi_owner: str | None
) -> list[tuple[str, str | None]]:
    """Recipient strings as (channel, address) pairs, in order, without repeats.

    ``channel:NAME`` -> (NAME, None): the channel's own recipients. ``person:NAME``, ``user:NAME``
    (a person whose ``user`` is NAME, or the person named NAME) and ``owner`` (the KPI's owner, a
    person's name or an email address) -> their email through the project's email channel (the first
    channel of type email). ValueError naming the recipient when it cannot be reached.
    """
    config = project.config
    found: list[tuple[str, str | None]] = []

    def email_channel(who: str) -> str:
        for name, channel in config.channels.items():
            if isinstance(channel, EmailChannel):
                return name
        raise ValueError(f"recipient '{who}' is reached by email, but onpace.yml has no channel of type email")

    def add(pair: tuple[str, str | None]) -> None:
        if pair not in found:
            found.append(pair)

    for recipient in recipients:
        kind, _, name = recipient.partition(":")
        if recipient == "owner":
            if not kpi_owner:
                raise ValueError("recipient 'owner': this has no KPI owner")
            address = _address_of(config, kpi_owner, by_user=False)
            if address is None:
                raise ValueError(f"recipient 'owner': the owner '{kpi_owner}' has no email (add them {ADD_PERSON})")
            add((email_channel(recipient), address))
        elif kind == "channel" and name:
            if name not in config.channels:
                known = ", ".join(config.channels) or "none"
                raise ValueError(f"recipient '{recipient}': no such channel in onpace.yml (channels: {known})")
            add((name, None))
        elif kind in ("person", "user") and name:
            address = _address_of(config, name, by_user=kind == "user")
            if address is None:
                raise ValueError(f"recipient '{recipient}': no email known (add it {ADD_PERSON})")
            add((email_channel(recipient), address))
        else:
            raise ValueError(f"recipient '{recipient}'; expected channel:NAME, user:NAME, person:NAME or owner")
    return found


def _address_of(config: ProjectConfig, name: str, *, by_user: bool) -> str | None:
    if by_user:
        for known in config.people.values():
            if known.user == name and known.email:
                return known.email
    person = config.people.get(name)
    if person is not None:
        return person.email
    if "@" in name and not by_user:
        return name  # an owner written as an email address
    return None


# -- reading the outbox ------------------------------------------------------------------------------


def list_outbox(
    store: Store,
    *,
    status: list[str] | None = None,
    channel: str | None = None,
    origin: str | None = None,
    limit: int = 100,
    with_tries: bool = False,
) -> list[OutboxMessageView]:
    """Messages, newest first (``origin``: a prefix, ``alert:`` gives every alert's)."""
    with store.session(readonly=True) as s:
        rows = outbox.list_messages(s, status=status or (), channel=channel, origin=origin, limit=limit)
        tries = outbox.attempts_of(s, [r.id for r in rows]) if with_tries else {}
        return [_view(r, tries.get(r.id, [])) for r in rows]


def get_message(store: Store, message_id: int) -> OutboxMessageView:
    with store.session(readonly=True) as s:
        row = outbox.get(s, message_id)
        return _view(row, outbox.attempts_of(s, [row.id])[row.id])


def retry(store: Store, message_id: int, *, by: str, now: dt.datetime | None = None) -> OutboxMessageView:
    """Make a failed or dead message due now (its tries count again from where they are)."""
    with store.session() as s:
        row = outbox.retry(s, message_id, now or utcnow())
        audit(s, by, "retry", "outbox_message", str(message_id), {"channel": row.channel, "subject": row.subject})
    return get_message(store, message_id)


def _view(row: OutboxMessage, tries: Sequence[OutboxAttempt]) -> OutboxMessageView:
    return OutboxMessageView(
        id=row.id,
        key=row.key,
        channel=row.channel,
        to=row.recipient,
        subject=row.subject,
        origin=row.origin,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        tries=[OutboxAttemptView.model_validate(t) for t in tries],
    )


def delivery_health(store: Store) -> DeliveryHealth:
    """How many messages wait, fail or are dead, and the last errors: the Health page's outbox part."""
    with store.session(readonly=True) as s:
        counts = outbox.counts(s)
        errors = [
            DeliveryError(
                message_id=m.id,
                channel=m.channel,
                subject=m.subject,
                at=a.finished_at or a.started_at,
                error=a.error or "",
            )
            for m, a in outbox.recent_errors(s, HEALTH_ERRORS)
        ]
    return DeliveryHealth(
        queued=counts["queued"],
        sending=counts["sending"],
        failing=counts["failed"],
        dead=counts["dead"],
        delivered=counts["delivered"],
        recent_errors=errors,
    )
