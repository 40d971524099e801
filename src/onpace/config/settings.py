"""The settings class: every ``ONPACE_*`` variable, read and checked by pydantic-settings.

Kept apart from :mod:`onpace.config` because importing pydantic-settings costs about 40 ms: the
commands that only need the store's location (:func:`onpace.config.store_url`) do without it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from onpace.config.environment import ENV_PREFIX


class Settings(BaseSettings):
    """onpace's settings; every field can be set with an ``ONPACE_<FIELD>`` variable."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)

    database_url: str | None = None
    """The store's database. None: a SQLite file in the project (``.onpace/store.db``)."""

    environment: Literal["development", "production"] = "development"
    """``production``: secure cookies, and ``onpace serve`` refuses a store with the demo login."""

    trusted_proxies: str | None = None
    """Addresses of reverse proxies whose ``X-Forwarded-For``/``-Proto`` headers ``onpace serve`` believes
    (comma-separated, ``*`` for any). None: those headers are ignored, so a client cannot choose the
    address its failed logins are counted by."""

    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    """The largest request body the server reads (JSON, forms): larger ones are refused with 413 unread."""

    max_upload_bytes: int = Field(default=16 << 20, ge=1024)
    """The largest body of the routes that take values in bulk (a CSV upload, a push of observations)."""
