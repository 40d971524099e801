"""Settings read from the environment (``ONPACE_*``), and where the store lives.

Settings are built where they are needed (a CLI command, the API's lifespan),
never at import time, so tests can pass their own. :class:`Settings` is defined in
:mod:`onpace.config.settings` and imported from here on first use (``from onpace.config import
Settings``): pydantic-settings is imported only by what builds settings.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onpace.config.environment import variable

if TYPE_CHECKING:
    from onpace.config.settings import Settings as Settings

PROJECT_FILE = "onpace.yml"  # what makes a folder a project (read by onpace.catalog.project)
STORE_DIR = ".onpace"
STORE_FILE = "store.db"

# URL schemes people write for PostgreSQL; SQLAlchemy needs the driver named.
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_POSTGRES_DRIVER = "postgresql+psycopg://"


def store_url(project_root: Path, settings: Settings | None = None) -> str:
    """The SQLAlchemy URL of the project's store.

    ``ONPACE_DATABASE_URL`` when set (``postgresql://`` and ``postgres://`` are
    given the psycopg driver), else ``sqlite:///<project_root>/.onpace/store.db``;
    in that case the ``.onpace`` folder is created if it does not exist yet, open
    to its owner only (0700: the store holds password hashes and sessions), and
    an existing one loses any access for others (the store file itself is made
    private by :func:`onpace.store.connect.make_engine`).
    """
    # without settings, the one variable is read from the environment (no pydantic-settings to import)
    database_url = settings.database_url if settings is not None else variable("database_url")
    if database_url:
        return sqlalchemy_url(database_url)
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


def __getattr__(name: str) -> Any:
    """``Settings``, imported from :mod:`onpace.config.settings` when first asked for."""
    if name == "Settings":
        from onpace.config.settings import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
