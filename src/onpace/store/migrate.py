"""Alembic, configured in code: the migrations ship inside the package.

There is no ``alembic.ini``. :func:`alembic_config` points Alembic at the
``migrations`` folder next to this module (so it works from an installed
wheel) and hands ``env.py`` the connection to migrate through
``config.attributes["connection"]``.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config for the store's migrations.

    ``connection`` (already in a transaction) is what ``env.py`` migrates; ``url``
    is used only without one, for offline SQL (``command.upgrade(cfg, "head", sql=True)``).
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision the migrations know."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
