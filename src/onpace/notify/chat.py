"""Slack and Microsoft Teams messages: the headline, the status colour, the numbers and a link.

Slack: an incoming webhook's JSON (``text`` for notifications, one attachment with the colour bar,
Block Kit sections for the numbers). Teams: an Adaptive Card wrapped as a message (what Teams
Workflows webhooks take), or a legacy MessageCard for Office 365 connectors.
"""

from __future__ import annotations

from typing import Any

from onpace.notify.message import Message


def slack_body(message: Message, app_url: str | None) -> dict[str, Any]:
    link = message.link(app_url)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack_escape(message.title)}*"}},
    ]
    if message.text:
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": message.text[:3000]}})
    facts = message.facts()
    if facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{_slack_escape(label)}*\n{_slack_escape(value)}"}
                    for label, value in facts[:10]
                ],
            }
        )
    if link:
        blocks.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open in onpace"}, "url": link}],
            }
        )
    return {
        "text": message.title,  # what notifications and old clients show
        "attachments": [{"color": message.colour, "blocks": blocks}],
    }


def _slack_escape(text: str) -> str:
    """Slack's three control characters (mrkdwn would read <...> as a link or a mention)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ADAPTIVE_STYLE = {"#16a34a": "good", "#d97706": "warning", "#dc2626": "attention"}


def teams_body(message: Message, app_url: str | None, card: str = "adaptive") -> dict[str, Any]:
    link = message.link(app_url)
    facts = message.facts()
    if card == "message_card":
        section: dict[str, Any] = {"activityTitle": message.title, "text": message.text}
        if facts:
            section["facts"] = [{"name": label, "value": value} for label, value in facts]
        body: dict[str, Any] = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": message.title,
            "themeColor": message.colour.lstrip("#"),
            "title": message.title,
            "sections": [section],
        }
        if link:
            body["potentialAction"] = [
                {"@type": "OpenUri", "name": "Open in onpace", "targets": [{"os": "default", "uri": link}]}
            ]
        return body
    items: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": _ADAPTIVE_STYLE.get(message.colour, "default"),
        }
    ]
    if message.text:
        items.append({"type": "TextBlock", "text": message.text, "wrap": True})
    if facts:
        items.append({"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in facts]})
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "Container", "style": _ADAPTIVE_STYLE.get(message.colour, "default"), "items": items},
        ],
    }
    if link:
        content["actions"] = [{"type": "Action.OpenUrl", "title": "Open in onpace", "url": link}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": content}
        ],
    }
