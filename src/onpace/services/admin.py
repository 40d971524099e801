"""What admins read: users, API tokens, the audit log, and the settings page."""

from __future__ import annotations

import datetime as dt

from onpace.catalog.project import Project
from onpace.errors import NotFoundError
from onpace.services import auth
from onpace.services.views.admin import AuditView, SettingsView, TokenView, UserView
from onpace.store import audit as store_audit
from onpace.store import users as store_users
from onpace.store.connect import redact
from onpace.store.db import Store

SETTINGS_AUDIT = 100


def users(store: Store) -> list[UserView]:
    """Every user, by name."""
    with store.session(readonly=True) as s:
        return [UserView.model_validate(u) for u in store_users.list_users(s)]


def user(store: Store, name: str) -> UserView:
    with store.session(readonly=True) as s:
        found = store_users.get_user(s, name)
        if found is None:
            raise NotFoundError(f"no user named '{name}'")
        return UserView.model_validate(found)


def taken_name(store: Store, name: str) -> str | None:
    """The user's name that ``name`` matches whatever its case (``admin`` for ``Admin``), if any."""
    with store.session(readonly=True) as s:
        return store_users.name_taken(s, name)


def tokens(store: Store) -> list[TokenView]:
    """Every API token (never the secret: only its first characters)."""
    with store.session(readonly=True) as s:
        return [
            TokenView(
                id=t.id,
                name=t.name,
                user=owner.name,
                prefix=t.prefix,
                created_at=t.created_at,
                created_by=t.created_by,
                last_used_at=t.last_used_at,
                revoked_at=t.revoked_at,
            )
            for t, owner in store_users.list_tokens(s)
        ]


def audit_log(
    store: Store,
    limit: int = 200,
    *,
    actor: str | None = None,
    object_kind: str | None = None,
    object_name: str | None = None,
    since: dt.datetime | None = None,
) -> list[AuditView]:
    """Every change, newest first (of one actor or object, since a time)."""
    with store.session(readonly=True) as s:
        rows = store_audit.list_audit(
            s, limit, actor=actor, object_kind=object_kind, object_name=object_name, since=since
        )
        return [AuditView.model_validate(r) for r in rows]


def settings(project: Project, store: Store) -> SettingsView:
    """The settings page: users, tokens, the project's sources (no password), the newest changes."""
    return SettingsView(
        users=users(store),
        tokens=tokens(store),
        audit=audit_log(store, SETTINGS_AUDIT),
        sources={name: redact(src.url) for name, src in project.sources.items()},
        roles=list(auth.ROLES),
    )
