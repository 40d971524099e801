"""Send one message through one channel of the project: the sender by the channel's type."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from onpace.catalog.channels import (
    Channel,
    EmailChannel,
    FileChannel,
    SlackChannel,
    TeamsChannel,
    WebhookChannel,
)
from onpace.notify import chat, email, folder, http, webhook
from onpace.notify.message import Message, SendError


def send(
    name: str,
    channel: Channel,
    message: Message,
    *,
    root: Path,
    env: Mapping[str, str],
    environment: str = "development",
    timeout: float = 20,
    app_url: str | None = None,
) -> None:
    """Deliver ``message`` through channel ``name``; returns when the channel confirmed it, else SendError."""
    if isinstance(channel, EmailChannel):
        email.send(channel, message, env=env, timeout=timeout)
    elif isinstance(channel, FileChannel):
        folder.send(channel, message, root=root, app_url=app_url)
    elif isinstance(channel, SlackChannel):
        url = _secret_url(name, channel.url_env, env, environment)
        http.post(url, http.encode(chat.slack_body(message, app_url)), headers={}, timeout=timeout)
    elif isinstance(channel, TeamsChannel):
        url = _secret_url(name, channel.url_env, env, environment)
        body = http.encode(chat.teams_body(message, app_url, channel.card))
        http.post(url, body, headers={}, timeout=timeout)
    elif isinstance(channel, WebhookChannel):
        url = channel.url if channel.url is not None else _secret_url(name, channel.url_env or "", env, environment)
        http.check_url(url, environment=environment, what=f"URL of channel '{name}'")
        secret = None
        if channel.secret_env:
            secret = env.get(channel.secret_env)
            if not secret:
                raise SendError(f"channel '{name}': the environment variable {channel.secret_env} is not set")
        content = http.encode(webhook.body(message, name, app_url))
        http.post(url, content, headers=webhook.headers(message, content, secret), timeout=timeout)
    else:  # pragma: no cover - every type is handled above
        raise SendError(f"channel '{name}' has type {channel.type!r}, which onpace cannot send to")


def _secret_url(name: str, variable: str, env: Mapping[str, str], environment: str) -> str:
    url = env.get(variable)
    if not url:
        raise SendError(f"channel '{name}': the environment variable {variable} is not set")
    http.check_url(url, environment=environment, what=f"URL in {variable}")
    return url
