"""Settings read from the environment (``ONPACE_*``), and where the store lives.

Settings are built where they are needed (a CLI command, the API's lifespan),
never at import time, so tests can pass their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

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


def store_url(project_root: Path, settings: Settings | None = None) -> str:
    """The SQLAlchemy URL of the project's store.

    ``ONPACE_DATABASE_URL`` when set (``postgresql://`` and ``postgres://`` are
    given the psycopg driver), else ``sqlite:///<project_root>/.onpace/store.db``;
    in that case the ``.onpace`` folder is created if it does not exist yet.
    """
    settings = settings if settings is not None else Settings()
    if settings.database_url:
        return sqlalchemy_url(settings.database_url)
    folder = project_root.resolve() / STORE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / STORE_FILE).as_posix()}"


def sqlalchemy_url(url: str) -> str:
    """``url`` with a plain PostgreSQL scheme rewritten to ``postgresql+psycopg://``."""
    for scheme in _POSTGRES_SCHEMES:
        if url.lower().startswith(scheme):
            return _POSTGRES_DRIVER + url[len(scheme) :]
    return url
