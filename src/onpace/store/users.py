"""Users, browser sessions, API tokens and failed logins: the rows behind logging in.

Secrets never reach the store: passwords are argon2 hashes (made by the
caller), session cookies and API tokens are kept as SHA-256 hashes of the
random values that only the browser or the script holds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from onpace.store.coltypes import utcnow
from onpace.store.models import ApiToken, LoginAttempt, Role, User, WebSession


def add_user(s: Session, name: str, password_hash: str, role: Role, department: str | None = None) -> User:
    row = User(name=name, password_hash=password_hash, role=role, department=department, created_at=utcnow())
    s.add(row)
    s.flush()
    return row


def get_user(s: Session, name: str) -> User | None:
    return s.scalars(select(User).where(User.name == name)).one_or_none()


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.name)))


def count_users(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(User)) or 0)


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


def add_failed_login(s: Session, name: str, client: str) -> None:
    s.add(LoginAttempt(name=name[:128], client=client[:64], at=utcnow()))
    s.flush()


def failed_logins_since(s: Session, since: datetime, *, name: str | None = None, client: str | None = None) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    if name is not None:
        query = query.where(LoginAttempt.name == name)
    if client is not None:
        query = query.where(LoginAttempt.client == client)
    return int(s.scalar(query) or 0)


def clear_failed_logins(s: Session, name: str) -> None:
    s.execute(delete(LoginAttempt).where(LoginAttempt.name == name))
