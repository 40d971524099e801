"""Settings read from the environment (``ONPACE_*``), and where the store lives.

Settings are built where they are needed (a CLI command, the API's lifespan),
never at import time, so tests can pass their own.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_FILE = "onpace.yml"  # what makes a folder a project (read by onpace.catalog.project)
STORE_DIR = ".onpace"
STORE_FILE = "store.db"

# URL schemes people write for PostgreSQL; SQLAlchemy needs the driver named.
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_POSTGRES_DRIVER = "postgresql+psycopg://"


class Settings(BaseSettings):
    """onpace's settings; every field can be set with an ``ONPACE_<FIELD>`` variable."""

    model_config = SettingsConfigDict(env_prefix="ONPACE_")

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


def store_url(project_root: Path, settings: Settings | None = None) -> str:
    """The SQLAlchemy URL of the project's store.

    ``ONPACE_DATABASE_URL`` when set (``postgresql://`` and ``postgres://`` are
    given the psycopg driver), else ``sqlite:///<project_root>/.onpace/store.db``;
    in that case the ``.onpace`` folder is created if it does not exist yet, open
    to its owner only (0700: the store holds password hashes and sessions), and
    an existing one loses any access for others (the store file itself is made
    private by :func:`onpace.store.connect.make_engine`).
    """
    settings = settings if settings is not None else Settings()
    if settings.database_url:
        return sqlalchemy_url(settings.database_url)
    folder = project_root.resolve() / STORE_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_to_owner(folder)
    return f"sqlite:///{(folder / STORE_FILE).as_posix()}"


def private_to_owner(path: Path) -> bool:
    """Take away the access of others (not the group) to ``path``, when it has any and is ours; True if it had."""
    try:
        info = path.stat()
    except OSError:
        return False
    if not info.st_mode & 0o007 or info.st_uid != os.getuid():
        return False
    try:
        path.chmod(stat.S_IMODE(info.st_mode) & ~0o007)
    except OSError:
        return False  # a read-only file system: nothing onpace can do here
    logging.getLogger("onpace").warning(
        "%s was open to every user of this machine; onpace took that access away (the store holds "
        "password hashes and sessions)",
        path,
    )
    return True


def sqlalchemy_url(url: str) -> str:
    """``url`` with a plain PostgreSQL scheme rewritten to ``postgresql+psycopg://``."""
    for scheme in _POSTGRES_SCHEMES:
        if url.lower().startswith(scheme):
            return _POSTGRES_DRIVER + url[len(scheme) :]
    return url
