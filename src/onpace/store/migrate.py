"""Alembic, configured in code: the migrations ship inside the package.

There is no ``alembic.ini``. :func:`alembic_config` points Alembic at the
``migrations`` folder next to this module (so it works from an installed
wheel) and hands ``env.py`` the connection to migrate through
``config.attributes["connection"]``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# Revisions are numbered like their files (0001_initial.py has revision "0001"), one after the
# other; a test checks this against Alembic, so the store can tell its head without importing it.
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config for the store's migrations.

    ``connection`` (already in a transaction) is what ``env.py`` migrates; ``url``
    is used only without one, for offline SQL (``command.upgrade(cfg, "head", sql=True)``).
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision the migrations know (the highest-numbered file)."""
    known = known_revisions()
    if not known:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return max(known)


def known_revisions() -> set[str]:
    return {m.group(1) for p in (MIGRATIONS / "versions").iterdir() if (m := _REVISION_FILE.match(p.name))}


def alembic_revisions() -> tuple[str | None, set[str]]:
    """Alembic's own view: its head and every revision (what the numbering above must agree with)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return scripts.get_current_head(), {script.revision for script in scripts.walk_revisions()}
