"""Slack and Teams webhooks on a real HTTP receiver: the colour, the numbers and the link arrive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from onpace.catalog.project import load_project
from onpace.services import delivery
from onpace.store import Store, outbox

from .receivers import HttpReceiver, write_project

T0 = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
PAYLOAD = {
    "title": "Revenue <Q1> is off track",
    "status": "off_track",
    "facts": [["Actual", "812"], ["Expected to date", "1,000"]],
    "url": "/kpis/revenue",
}


def _send(tmp_path: Path, store: Store, receiver: HttpReceiver, channel_yaml: str) -> dict[str, Any]:
    write_project(tmp_path, channel_yaml, "  app_url: https://onpace.example.com\n")
    project = load_project(tmp_path, env={"CHAT_URL": receiver.url + "/hook"})
    with store.session() as s:
        outbox.enqueue(
            s, channel="chat", to=None, subject="Revenue is off track", text="812 of 1,000.", payload=PAYLOAD,
            key="k1", origin="alert:revenue",
        )  # fmt: skip
    run = delivery.deliver_due(project, store, now=T0)
    assert run.delivered == 1, run.errors
    [got] = receiver.received
    assert got.path == "/hook"
    body = json.loads(got.body)
    assert isinstance(body, dict)
    return body


def test_slack_message(tmp_path: Path, sqlite_store: Store, receiver: HttpReceiver) -> None:
    body = _send(tmp_path, sqlite_store, receiver, "  chat:\n    type: slack\n    url_env: CHAT_URL\n")
    assert body["text"] == "Revenue <Q1> is off track"
    [attachment] = body["attachments"]
    assert attachment["color"] == "#dc2626"  # off track: the app's red
    blocks = attachment["blocks"]
    assert blocks[0]["text"]["text"] == "*Revenue &lt;Q1&gt; is off track*"  # escaped: no mention, no link
    assert blocks[1]["text"]["text"] == "812 of 1,000."
    assert [f["text"] for f in blocks[2]["fields"]] == ["*Actual*\n812", "*Expected to date*\n1,000"]
    assert blocks[3]["elements"][0]["url"] == "https://onpace.example.com/kpis/revenue"


def test_teams_adaptive_card(tmp_path: Path, sqlite_store: Store, receiver: HttpReceiver) -> None:
    body = _send(tmp_path, sqlite_store, receiver, "  chat:\n    type: teams\n    url_env: CHAT_URL\n")
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    container = card["body"][0]
    assert container["style"] == "attention"  # red
    title, text, facts = container["items"]
    assert title["text"] == "Revenue <Q1> is off track" and text["text"] == "812 of 1,000."
    assert facts["facts"] == [{"title": "Actual", "value": "812"}, {"title": "Expected to date", "value": "1,000"}]
    assert card["actions"][0]["url"] == "https://onpace.example.com/kpis/revenue"


def test_teams_message_card(tmp_path: Path, sqlite_store: Store, receiver: HttpReceiver) -> None:
    body = _send(
        tmp_path, sqlite_store, receiver, "  chat:\n    type: teams\n    url_env: CHAT_URL\n    card: message_card\n"
    )
    assert body["@type"] == "MessageCard" and body["themeColor"] == "dc2626"
    assert body["sections"][0]["facts"][0] == {"name": "Actual", "value": "812"}
    assert body["potentialAction"][0]["targets"][0]["uri"] == "https://onpace.example.com/kpis/revenue"


def test_a_missing_webhook_variable_is_named(tmp_path: Path, sqlite_store: Store) -> None:
    write_project(tmp_path, "  chat:\n    type: slack\n    url_env: CHAT_URL\n")
    with sqlite_store.session() as s:
        outbox.enqueue(s, channel="chat", to=None, subject="s", text="t", key="k1", origin="test")
    run = delivery.deliver_due(load_project(tmp_path, env={}), sqlite_store, now=T0)
    assert run.errors == ["message 1 (chat): channel 'chat': the environment variable CHAT_URL is not set"]
