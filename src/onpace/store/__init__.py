"""The store: onpace's own database (SQLAlchemy 2, migrated with Alembic).

It keeps what onpace learns and decides: applied definitions, refresh runs,
metric series and their observations, KPI evaluations, target history,
lifecycle events, KPI reviews and the audit log. SQLite by default (``.onpace/store.db`` in
the project), PostgreSQL with ``ONPACE_DATABASE_URL``.

:class:`Store` opens it; each aggregate has a module of functions that take a
``Session`` first: :mod:`~onpace.store.definitions`, :mod:`~onpace.store.runs`,
:mod:`~onpace.store.observations`, :mod:`~onpace.store.evaluations`,
:mod:`~onpace.store.targets`, :mod:`~onpace.store.lifecycle`,
:mod:`~onpace.store.reviews`, :mod:`~onpace.store.audit`.
"""

from __future__ import annotations

from onpace.errors import StoreError
from onpace.store.db import Store

__all__ = ["Store", "StoreError"]
