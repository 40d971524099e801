"""INSERT … ON CONFLICT for the store's two databases.

SQLAlchemy's portable ``insert`` has no upsert; SQLite and PostgreSQL each have
one in their dialect, with the same API (``on_conflict_do_update``,
``on_conflict_do_nothing``, ``excluded``).
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from onpace.errors import StoreError


def insert(s: Session, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT into ``table`` for the dialect of the session's database, with upsert clauses."""
    name = s.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise StoreError(f"the store does not support {name} databases (only SQLite and PostgreSQL)")
