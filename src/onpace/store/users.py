"""Users, browser sessions, API tokens and failed logins: the rows behind logging in.

Secrets never reach the store: passwords are argon2 hashes (made by the
caller), session cookies and API tokens are kept as SHA-256 hashes of the
random values that only the browser or the script holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from onpace.errors import StoreError
from onpace.store.coltypes import utcnow
from onpace.store.connect import SQLITE_PRAGMAS
from onpace.store.db import public_reason
from onpace.store.models import ApiToken, LoginAttempt, Role, User, WebSession

if TYPE_CHECKING:
    from onpace.store.db import Store

_SQLITE_BUSY_TIMEOUT = next(p for p in SQLITE_PRAGMAS if "busy_timeout" in p)


def add_user(s: Session, name: str, password_hash: str, role: Role, department: str | None = None) -> User:
    row = User(name=name, password_hash=password_hash, role=role, department=department, created_at=utcnow())
    s.add(row)
    s.flush()
    return row


def get_user(s: Session, name: str) -> User | None:
    return s.scalars(select(User).where(User.name == name)).one_or_none()


def name_taken(s: Session, name: str) -> str | None:
    """The name of the user called ``name`` whatever its case (``viewer1`` for ``VIEWER1``), if any."""
    folded = name.casefold()
    return next((taken for taken in s.scalars(select(User.name)) if taken.casefold() == folded), None)


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.name)))


def count_users(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(User)) or 0)


def count_active_admins(s: Session) -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", User.disabled.is_(False))
    return int(s.scalar(query) or 0)


def lock_users(s: Session) -> None:
    """Serialise changes of users until the transaction ends (reads go on).

    SQLite's write transactions are serialised already (``BEGIN IMMEDIATE``); on PostgreSQL this
    takes a table lock that conflicts with itself, so a check like "one admin stays active" sees
    every change committed before it.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("LOCK TABLE users IN EXCLUSIVE MODE"))


def add_session(s: Session, user_id: int, token_hash: str, csrf_token: str, expires_at: datetime) -> WebSession:
    row = WebSession(
        user_id=user_id, token_hash=token_hash, csrf_token=csrf_token, created_at=utcnow(), expires_at=expires_at
    )
    s.add(row)
    s.flush()
    return row


def session_by_hash(s: Session, token_hash: str) -> tuple[WebSession, User] | None:
    found = s.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.token_hash == token_hash)
    ).one_or_none()
    return None if found is None else (found[0], found[1])


def delete_session(s: Session, token_hash: str) -> None:
    s.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


def delete_sessions_of(s: Session, user_id: int) -> None:
    s.execute(delete(WebSession).where(WebSession.user_id == user_id))


def delete_expired_sessions(s: Session, now: datetime) -> None:
    s.execute(delete(WebSession).where(WebSession.expires_at < now))


def add_token(s: Session, user_id: int, name: str, token_hash: str, prefix: str, created_by: str) -> ApiToken:
    row = ApiToken(
        user_id=user_id, name=name, token_hash=token_hash, prefix=prefix, created_by=created_by, created_at=utcnow()
    )
    s.add(row)
    s.flush()
    return row


def token_by_hash(s: Session, token_hash: str) -> tuple[ApiToken, User] | None:
    found = s.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == token_hash)
    ).one_or_none()
    return None if found is None else (found[0], found[1])


def list_tokens(s: Session) -> list[tuple[ApiToken, User]]:
    rows = s.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id))
    return [(token, user) for token, user in rows]


def get_token(s: Session, token_id: int) -> ApiToken | None:
    return s.get(ApiToken, token_id)


def revoke_tokens_of(s: Session, user_id: int, when: datetime) -> list[ApiToken]:
    """Revoke every token of a user not revoked yet; the tokens revoked now."""
    rows = list(s.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))))
    for row in rows:
        row.revoked_at = when
    s.flush()
    return rows


def touch_token(store: Store, token_id: int, when: datetime) -> bool:
    """Note when a token was used, only if that needs no wait: False when the store is busy or read-only.

    Its own short transaction, that gives up at once instead of waiting for the write lock
    (SQLite) or for a lock on the token's row (PostgreSQL).
    """
    stmt = update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when)
    try:
        with store.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                driver = conn.connection.driver_connection
                assert driver is not None
                driver.execute("PRAGMA busy_timeout = 0")
                try:
                    with conn.begin():  # BEGIN IMMEDIATE: "database is locked" now, not in 30 s
                        conn.execute(stmt)
                finally:
                    driver.execute(_SQLITE_BUSY_TIMEOUT)
            else:
                with conn.begin():
                    conn.execute(text("SET LOCAL lock_timeout = '100ms'"))
                    free = select(ApiToken.id).where(ApiToken.id == token_id).with_for_update(skip_locked=True)
                    conn.execute(stmt.where(ApiToken.id.in_(free)))
    except DBAPIError:
        return False
    return True


def add_failed_login(s: Session, name: str, client: str) -> None:
    s.add(LoginAttempt(name=name[:128], client=client[:64], at=utcnow()))
    s.flush()


def failed_logins_since(s: Session, since: datetime, *, name: str | None = None, client: str | None = None) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    if name is not None:
        query = query.where(LoginAttempt.name == name[:128])
    if client is not None:
        query = query.where(LoginAttempt.client == client[:64])
    return int(s.scalar(query) or 0)


def clear_failed_logins(s: Session, name: str, client: str) -> None:
    """Forget the failed logins of one name from one client (after that client logged in as that name)."""
    s.execute(delete(LoginAttempt).where(LoginAttempt.name == name[:128], LoginAttempt.client == client[:64]))


def check_writable(store: Store) -> None:
    """StoreError unless the store takes a write now (a row is written and rolled back)."""
    try:
        with store.engine.connect() as conn, conn.begin() as transaction:
            conn.execute(insert(LoginAttempt).values(name="", client="", at=utcnow()))
            transaction.rollback()
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise StoreError(
            f"the store at {store.redacted_url} cannot be written: {reason}", public_reason(reason)
        ) from exc


def purge_failed_logins(s: Session, before: datetime) -> None:
    """Delete every failed login older than ``before``, of known names and unknown ones alike."""
    s.execute(delete(LoginAttempt).where(LoginAttempt.at < before))
