"""A message as the senders see it, the error they raise, and what message payloads may carry.

A payload (``enqueue(payload=...)``) is free JSON; the channels read these keys when present:

- ``title``: the headline (default: the subject);
- ``status``: ``on_track``, ``at_risk``, ``off_track``, ``achieved``, ``missed``, ``no_data``, or an
  alert's state (``firing``, ``resolved``, ``pending``, ``error``): picks the colour;
- ``facts``: the numbers, as a mapping ``{"Actual": "1,204", "Target": "1,500"}`` or a list of
  ``[label, value]`` pairs;
- ``url``: a link to the page in onpace, absolute or relative to ``notifications.app_url``.

A message may carry files (:class:`Attachment`): an email sends them as attachments, or shown in
its HTML body when they have a ``content_id`` (``<img src="cid:...">``); the other channels send
the payload's summary and link instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

# the app's status colours (web/static/app.css)
GREEN, YELLOW, RED, GREY = "#16a34a", "#d97706", "#dc2626", "#98a2b3"
COLOURS = {
    "on_track": GREEN,
    "achieved": GREEN,
    "resolved": GREEN,
    "normal": GREEN,
    "at_risk": YELLOW,
    "pending": YELLOW,
    "off_track": RED,
    "missed": RED,
    "firing": RED,
    "error": RED,
    "dead": RED,
    "no_data": GREY,
}


class SendError(Exception):
    """The channel did not confirm the message; the text says why (never a secret).

    ``permanent``: trying again cannot succeed (the message itself is refused, e.g. too
    large): the outbox gives it up at once instead of retrying it.
    """

    permanent = False


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: a report's PDF or CSV, or an image its HTML shows inline."""

    filename: str
    content_type: str  # e.g. application/pdf, text/csv, image/png
    data: bytes
    content_id: str | None = None  # set: an image shown in the HTML body as <img src="cid:CONTENT_ID">

    @property
    def inline(self) -> bool:
        return self.content_id is not None


@dataclass(frozen=True)
class Message:
    """One message to send, as queued in the outbox."""

    key: str  # the idempotency key: the same on every try
    subject: str
    text: str
    to: str | None = None  # an email address; None: the channel's own recipients
    html: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    origin: str = ""
    created_at: dt.datetime | None = None
    attachments: tuple[Attachment, ...] = ()

    @property
    def title(self) -> str:
        return str(self.payload.get("title") or self.subject)

    @property
    def status(self) -> str | None:
        value = self.payload.get("status")
        return str(value) if value is not None else None

    @property
    def colour(self) -> str:
        return COLOURS.get(self.status or "", GREY)

    def facts(self) -> list[tuple[str, str]]:
        """The payload's numbers as (label, value) pairs, in order."""
        raw = self.payload.get("facts")
        if isinstance(raw, dict):
            return [(str(k), _text(v)) for k, v in raw.items()]
        if isinstance(raw, list):
            return [(str(p[0]), _text(p[1])) for p in raw if isinstance(p, (list, tuple)) and len(p) == 2]
        return []

    def link(self, app_url: str | None) -> str | None:
        """The payload's ``url``, made absolute with the app's address; None without one."""
        url = self.payload.get("url")
        if not isinstance(url, str) or not url:
            return None
        if url.startswith(("https://", "http://")):
            return url
        if app_url is None:
            return None
        return app_url.rstrip("/") + "/" + url.lstrip("/")

    @property
    def message_id(self) -> str:
        """An email Message-ID made from the key: the same on every try, so mail systems can drop repeats."""
        return f"<{hashlib.sha256(self.key.encode()).hexdigest()[:40]}@onpace>"


def _text(value: Any) -> str:
    return "" if value is None else str(value)
