"""Logging in and what each role may do: users, browser sessions, API tokens, rate limits.

- Passwords are hashed with argon2 (argon2-cffi's defaults, rehashed on login
  when those change); a login for an unknown name still verifies a hash, so
  timing does not tell which names exist.
- A browser session is a random token in an HttpOnly cookie; the store keeps
  its SHA-256 hash, an expiry and the session's CSRF token. API tokens are
  random too, shown once and kept as hashes.
- Failed logins are counted in the store: more than ``MAX_FAILURES_PER_NAME``
  for one name, or ``MAX_FAILURES_PER_CLIENT`` from one address, within
  ``FAILURE_WINDOW`` refuses further attempts until the window passes.
- The first admin can be created from the web only while there is no user at
  all; afterwards that door is closed for good.

Roles, from least to most: viewer (reads), editor (comments, annotations,
values of the metrics of their department), strategist (objectives, KPIs,
targets, reviews, promotions, refreshes: leadership), admin (everything, and
users, tokens, sources and the audit log).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from onpace.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    TooManyRequestsError,
    UserError,
)
from onpace.store import users as u
from onpace.store.audit import audit
from onpace.store.coltypes import utcnow
from onpace.store.db import Store
from onpace.store.models import Role

ROLES: tuple[Role, ...] = ("viewer", "editor", "strategist", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}

Action = Literal[
    "read",
    "comment",
    "annotate",
    "enter_values",
    "review",
    "manage_goals",
    "promote",
    "refresh",
    "read_generated_sql",
    "manage_users",
    "manage_tokens",
    "read_audit",
]
# the least role that may do each action
NEEDS: dict[Action, Role] = {
    "read": "viewer",
    "comment": "editor",
    "annotate": "editor",
    "enter_values": "editor",
    "read_generated_sql": "editor",
    "review": "strategist",
    "manage_goals": "strategist",
    "promote": "strategist",
    "refresh": "strategist",
    "manage_users": "admin",
    "manage_tokens": "admin",
    "read_audit": "admin",
}
assert set(NEEDS) == set(get_args(Action))

MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = dt.timedelta(hours=12)
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_CLIENT = 20
TOKEN_PREFIX = "onp_"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")


@dataclass(frozen=True)
class CurrentUser:
    """Who makes a request, and how they proved it."""

    id: int
    name: str
    role: Role
    department: str | None
    via: Literal["session", "token"]
    csrf_token: str | None = None  # the session's; None for a token

    def can(self, action: Action) -> bool:
        return can(self.role, action)

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise PermissionDeniedError(
                f"the role '{self.role}' may not {action.replace('_', ' ')} (it needs '{NEEDS[action]}' or above)"
            )


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    user: CurrentUser
    expires_at: dt.datetime


def can(role: str, action: Action) -> bool:
    return role in _RANK and _RANK[role] >= _RANK[NEEDS[action]]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_role(role: str) -> Role:
    if role not in _RANK:
        raise UserError(f"unknown role '{role}' (expected one of {', '.join(ROLES)})")
    return role


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 128 or any(c.isspace() for c in name):
        raise UserError("a user name is 1 to 128 characters without spaces")
    return name


# -- users ----------------------------------------------------------------------------------------
def add_user(
    store: Store, name: str, password: str, role: str, *, actor: str, department: str | None = None
) -> CurrentUser:
    """Create a user; raises ConflictError when the name is taken."""
    name = _check_name(name)
    checked = check_role(role)
    check_password(password)
    with store.session() as s:
        if u.get_user(s, name) is not None:
            raise ConflictError(f"a user named '{name}' exists already")
        row = u.add_user(s, name, _hasher.hash(password), checked, department or None)
        audit(s, actor, "create", "user", name, {"role": checked, "department": department})
        return _current(row.id, row.name, checked, row.department, "session")


def first_admin(store: Store, name: str, password: str) -> CurrentUser:
    """Create the first admin; refused (409) once any user exists, so it cannot be replayed."""
    name = _check_name(name)
    check_password(password)
    with store.session() as s:
        if s.get_bind().dialect.name == "postgresql":  # two setups at once: the second waits, then sees the first
            from sqlalchemy import text

            s.execute(text("LOCK TABLE users IN EXCLUSIVE MODE"))
        if u.count_users(s) > 0:
            raise ConflictError("onpace is set up already: ask an admin for an account")
        row = u.add_user(s, name, _hasher.hash(password), "admin")
        audit(s, name, "setup", "user", name, {"role": "admin"})
        return _current(row.id, row.name, "admin", None, "session")


def needs_setup(store: Store) -> bool:
    with store.session(readonly=True) as s:
        return u.count_users(s) == 0


def set_password(store: Store, name: str, password: str, *, actor: str) -> None:
    check_password(password)
    with store.session() as s:
        row = u.get_user(s, name)
        if row is None:
            raise NotFoundError(f"no user named '{name}'")
        row.password_hash = _hasher.hash(password)
        u.delete_sessions_of(s, row.id)  # every browser logs in again
        audit(s, actor, "set_password", "user", name)


def update_user(
    store: Store,
    name: str,
    *,
    actor: str,
    role: str | None = None,
    department: str | None = None,
    disabled: bool | None = None,
) -> None:
    with store.session() as s:
        row = u.get_user(s, name)
        if row is None:
            raise NotFoundError(f"no user named '{name}'")
        changes: dict[str, object] = {}
        if role is not None and role != row.role:
            changes["role"] = row.role = check_role(role)
        if department is not None and (department or None) != row.department:
            changes["department"] = row.department = department or None
        if disabled is not None and disabled != row.disabled:
            changes["disabled"] = row.disabled = disabled
        if row.role != "admin" or row.disabled:
            admins = [x for x in u.list_users(s) if x.role == "admin" and not x.disabled]
            if not admins:
                raise ConflictError("this would leave no active admin")
        if changes.get("disabled") or "role" in changes:
            u.delete_sessions_of(s, row.id)
        if changes:
            audit(s, actor, "update", "user", name, changes)


# -- browser sessions -----------------------------------------------------------------------------
def login(store: Store, name: str, password: str, client: str) -> NewSession:
    """Check the password and open a session; AuthenticationError or TooManyRequestsError otherwise."""
    now = utcnow()
    since = now - FAILURE_WINDOW
    with store.session() as s:
        if (
            u.failed_logins_since(s, since, name=name) >= MAX_FAILURES_PER_NAME
            or u.failed_logins_since(s, since, client=client) >= MAX_FAILURES_PER_CLIENT
        ):
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            raise TooManyRequestsError(f"too many failed logins: try again in {minutes} minutes")
        row = u.get_user(s, name)
        ok = _verify(row.password_hash if row is not None else _DUMMY_HASH, password)
        if row is None or not ok or row.disabled:
            u.add_failed_login(s, name, client)
            failed = True
        else:
            failed = False
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            u.clear_failed_logins(s, name)
            u.delete_expired_sessions(s, now)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            expires = now + SESSION_LIFETIME
            u.add_session(s, row.id, digest(token), csrf, expires)
            audit(s, name, "login", "user", name, {"client": client})
            user = _current(row.id, row.name, check_role(row.role), row.department, "session", csrf)
    if failed:  # the failure is committed before the error leaves
        raise AuthenticationError("wrong user name or password")
    return NewSession(token=token, csrf_token=csrf, user=user, expires_at=expires)


def session_user(store: Store, token: str | None) -> CurrentUser | None:
    """The user of a session cookie, or None when it is missing, unknown or expired."""
    if not token:
        return None
    with store.session(readonly=True) as s:
        found = u.session_by_hash(s, digest(token))
        if found is None:
            return None
        session, row = found
        if session.expires_at <= utcnow() or row.disabled:
            return None
        return _current(row.id, row.name, check_role(row.role), row.department, "session", session.csrf_token)


def logout(store: Store, token: str | None) -> None:
    if token:
        with store.session() as s:
            u.delete_session(s, digest(token))


def csrf_ok(user: CurrentUser, presented: str | None) -> bool:
    """Whether an unsafe request of a session carries the session's CSRF token (tokens need none)."""
    if user.via == "token":
        return True
    return bool(presented) and user.csrf_token is not None and hmac.compare_digest(presented or "", user.csrf_token)


# -- API tokens -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewToken:
    id: int
    name: str
    user: str
    token: str  # shown once


def create_token(store: Store, user_name: str, name: str, *, actor: str) -> NewToken:
    name = name.strip()
    if not name or len(name) > 128:
        raise UserError("a token's name is 1 to 128 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.session() as s:
        row = u.get_user(s, user_name)
        if row is None:
            raise NotFoundError(f"no user named '{user_name}'")
        made = u.add_token(s, row.id, name, digest(token), token[: len(TOKEN_PREFIX) + 4], actor)
        audit(s, actor, "create", "token", name, {"user": user_name, "id": made.id})
        return NewToken(id=made.id, name=name, user=user_name, token=token)


def revoke_token(store: Store, token_id: int, *, actor: str) -> None:
    with store.session() as s:
        row = u.get_token(s, token_id)
        if row is None:
            raise NotFoundError(f"no token with id {token_id}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit(s, actor, "revoke", "token", row.name, {"id": token_id})


def token_user(store: Store, token: str) -> CurrentUser | None:
    """The user of a bearer token, or None when it is unknown, revoked or its user disabled."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with store.session() as s:
        found = u.token_by_hash(s, digest(token))
        if found is None:
            return None
        row, user = found
        if row.revoked_at is not None or user.disabled:
            return None
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
            row.last_used_at = now  # at most one write a minute per token
        return _current(user.id, user.name, check_role(user.role), user.department, "token")


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _current(
    id_: int, name: str, role: Role, department: str | None, via: Literal["session", "token"], csrf: str | None = None
) -> CurrentUser:
    return CurrentUser(id=id_, name=name, role=role, department=department, via=via, csrf_token=csrf)
