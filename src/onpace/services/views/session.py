"""Who is logged in, and whether the server is healthy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from onpace.services.views.base import View


class Me(View):
    """The user logged in, how (session or token), and what their role may do."""

    name: str
    role: str
    department: str | None
    via: str
    csrf_token: str | None = None
    permissions: list[str]


class DefinitionsHealth(View):
    status: Literal["ok", "error"]
    problems: int = Field(description="how many problems the definitions have (never what they are)")


class HealthView(View):
    """``GET /api/health``: the server runs, its store answers, its definitions load."""

    status: Literal["ok", "degraded"]
    version: str
    store_revision: str
    definitions: DefinitionsHealth
