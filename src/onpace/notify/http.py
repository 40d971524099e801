"""POST a JSON body to a URL with httpx; anything but a 2xx answer is a :class:`SendError`.

Errors never show the URL: a Slack or Teams webhook URL is itself the secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from onpace.notify.message import SendError

USER_AGENT = "onpace-notify"


def check_url(url: str, *, environment: str, what: str) -> None:
    """Refuse a URL that is not http(s), and plain http outside development."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SendError(f"the {what} is not an http(s) URL")
    if parts.scheme != "https" and environment != "development":
        raise SendError(f"the {what} must be https:// outside development (ONPACE_ENVIRONMENT={environment})")


def encode(body: Any) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys in order, UTF-8."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def post(url: str, content: bytes, *, headers: Mapping[str, str], timeout: float) -> int:
    """POST ``content`` (JSON) to ``url``; the status code of a 2xx answer, else SendError."""
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            answer = client.post(url, content=content, headers=sent)
    except httpx.TimeoutException:
        raise SendError(f"no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise SendError(f"cannot reach the receiver: {type(exc).__name__}: {_scrub(str(exc), url)}") from None
    if not 200 <= answer.status_code < 300:
        body = answer.text[:200].strip()
        raise SendError(f"the receiver answered HTTP {answer.status_code}" + (f": {body}" if body else ""))
    return answer.status_code


def _scrub(text: str, url: str) -> str:
    parts = urlsplit(url)
    text = text.replace(url, "<url>")
    if parts.path and len(parts.path) > 1:
        text = text.replace(parts.path, "/<path>")
    return text
