"""Users, API tokens and the audit log (what admins see)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from onpace.services.views.base import IsoDateTime, View


class UserView(View):
    name: str
    role: str
    department: str | None
    disabled: bool
    created_at: IsoDateTime


class TokenView(View):
    """An API token (never its secret: only its first characters)."""

    id: int
    name: str
    user: str
    prefix: str
    created_at: IsoDateTime
    created_by: str
    last_used_at: IsoDateTime | None
    revoked_at: IsoDateTime | None


class NewTokenView(View):
    """A token just made: its secret is here and never shown again."""

    id: int
    name: str
    user: str
    token: str


class AuditView(View):
    """One change: who did what to which object, when."""

    at: IsoDateTime
    actor: str
    action: str
    object_kind: str
    object_name: str
    details: dict[str, Any]


class SettingsView(View):
    """The settings page (admins): users, tokens, sources (passwords redacted), the newest changes."""

    users: list[UserView]
    tokens: list[TokenView]
    audit: list[AuditView]
    sources: dict[str, str] = Field(description="source name -> its URL without the password")
    roles: list[str]
