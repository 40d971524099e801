"""The hand-computed shop (conftest.py) with reports, channels and people: what the report tests send.

As of 2025-04-15 (the data's last day) 2025-Q2 has run 15 days at 10 (NORTH) + 20 (SOUTH) a day:

- ``q_revenue`` (owner Sales): 15 x 30 = 450, target 2,700 for the quarter;
- ``by_region``: NORTH 15 x 10 = 150, SOUTH 15 x 20 = 300 (owner Sales);
- ``lateness`` (owner Operations): SOUTH's lines on days 1..6 are late, so April 1-15 has 6 late
  lines of 15 x 2 = 30: a rate of 0.2 against at most 0.1 (off track).

Report ``digest`` covers those three KPIs and goes to each KPI's owner (Sales and Operations, once
each, by email) and to the Slack-like channel ``chat``: three messages.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from onpace.catalog.project import Project, load_project
from onpace.services.refresh import refresh
from onpace.store.db import Store

from .conftest import MODELS, PROJECT, write_data

AS_OF = "2025-04-15"
APP_URL = "https://onpace.example.com"
REPORTS = """reports:
  - name: digest
    label: Weekly digest
    audience: {kpis: [q_revenue, lateness, by_region]}
    schedule: {cron: "0 7 * * mon", timezone: Europe/London}
    recipients: [owner, channel:chat]
  - name: marketing
    audience: {owner: Marketing}
    recipients: [owner]
    formats: [csv]
"""
PEOPLE = """people:
  Sales: {email: sales@shop.test}
  Operations: {email: ops@shop.test}
"""


def channels(smtp_port: int | None = None, *, chat: bool = True, folder: bool = False) -> str:
    """The ``channels:`` of onpace.yml: email to a loopback SMTP server, a Slack webhook, a folder."""
    lines = ["channels:"]
    if smtp_port is not None:
        lines.append(f"  mail: {{type: email, host: 127.0.0.1, port: {smtp_port}, security: none}}")
    if chat:
        lines.append("  chat: {type: slack, url_env: CHAT_URL}")
    if folder:
        lines.append("  inbox: {type: file, folder: outbox}")
    return "\n".join(lines) + "\n" if len(lines) > 1 else ""


def make_shop(
    root: Path, smtp_port: int | None = None, *, chat: bool = True, folder: bool = False, reports: str = REPORTS
) -> Path:
    """The shop at ``root`` with its data, reports, channels and people."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    config = textwrap.dedent(PROJECT) + channels(smtp_port, chat=chat, folder=folder) + PEOPLE
    config += f"notifications:\n  app_url: {APP_URL}\n  retry_seconds: 1\n"
    (root / "onpace.yml").write_text(config, encoding="utf-8")
    (root / "models" / "shop.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    (root / "models" / "reports.yml").write_text(reports, encoding="utf-8")
    write_data(root / "data" / "warehouse.duckdb")
    return root


def load(root: Path, chat_url: str = "http://127.0.0.1:9/unused") -> Project:
    return load_project(root, env={"CHAT_URL": chat_url})


def refreshed(project: Project, url: str) -> Store:
    """The store at ``url`` with the shop refreshed and evaluated."""
    store = Store.open(url)
    result = refresh(project, store, requested_by="test")
    assert result.status == "succeeded", result.errors
    return store
