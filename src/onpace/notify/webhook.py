"""A generic JSON webhook: the message as JSON, signed with HMAC-SHA256, with an idempotency key.

Headers: ``Idempotency-Key`` (the message's key, the same on every try), and, when the channel has
a ``secret_env``, ``X-Onpace-Signature: sha256=<hex>`` where ``<hex>`` is the HMAC-SHA256 of the
exact body bytes with that secret as key. A receiver recomputes it and compares in constant time
(docs/notifications.md has a snippet).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from onpace.notify.message import Message

SIGNATURE_HEADER = "X-Onpace-Signature"
KEY_HEADER = "Idempotency-Key"


def body(message: Message, channel: str, app_url: str | None) -> dict[str, Any]:
    return {
        "key": message.key,
        "channel": channel,
        "origin": message.origin,
        "subject": message.subject,
        "text": message.text,
        "status": message.status,
        "url": message.link(app_url),
        "created_at": message.created_at.isoformat() if message.created_at else None,
        "payload": message.payload,
    }


def signature(content: bytes, secret: str) -> str:
    """The value of the signature header for ``content``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()


def headers(message: Message, content: bytes, secret: str | None) -> dict[str, str]:
    found = {KEY_HEADER: message.key}
    if secret:
        found[SIGNATURE_HEADER] = signature(content, secret)
    return found
