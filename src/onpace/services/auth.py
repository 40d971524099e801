"""Logging in and what each role may do: users, browser sessions, API tokens, rate limits.

- Passwords are hashed with argon2 (argon2-cffi's defaults, rehashed on login
  when those change); a login for an unknown name still verifies a hash, so
  timing does not tell which names exist.
- A browser session is a random token in an HttpOnly cookie; the store keeps
  its SHA-256 hash, an expiry and the session's CSRF token. API tokens are
  random too, shown once and kept as hashes.
- Every login attempt is written (and committed) to the store before its
  password is checked, then counted: with ``MAX_FAILURES_PER_NAME`` attempts
  for one name from one address, or ``MAX_FAILURES_PER_CLIENT`` from one
  address, within ``FAILURE_WINDOW``, further ones are refused (429) without
  checking the password. Counting committed rows makes the limit hold for
  requests that arrive at once, on SQLite and PostgreSQL alike; counting per
  name *and* address means nobody can lock someone else out from elsewhere.
  An IPv6 client counts by its /64 network. A successful login clears the
  attempts of its name and address; attempts older than the window are purged.
- Disabling a user or changing their password ends their browser sessions and
  revokes their API tokens. In production the published demo login is refused.
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
import ipaddress
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from onpace.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    TooManyRequestsError,
    UserError,
    did_you_mean_suffix,
)
from onpace.store import users as u
from onpace.store.audit import audit
from onpace.store.coltypes import utcnow
from onpace.store.db import Store
from onpace.store.models import Role

if TYPE_CHECKING:
    from onpace.catalog.project import Project

ROLES: tuple[Role, ...] = ("viewer", "editor", "strategist", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}

Action = Literal[
    "read",
    "comment",
    "annotate",
    "mute",
    "send_test_messages",
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
    "mute": "editor",
    "send_test_messages": "editor",
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
MAX_FAILURES_PER_NAME = 5  # for one name from one address (an IPv6 /64)
MAX_FAILURES_PER_CLIENT = 20  # from one address, whatever the names
TOKEN_PREFIX = "onp_"
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)
# the login `onpace demo` adds and prints: published, so refused in production
DEMO_USER = "demo"
DEMO_PASSWORD = "onpace-demo"

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


class RoleRule:
    """A route's declaration of what its caller must be allowed to do, and its check.

    The server's gate finds the rule of the route a request matches and refuses (403) a role that
    may not before the request's body is read (FastAPI reads the body before dependencies run);
    the interfaces' ``Allowed`` dependencies check it again. ``action=None``: anyone may call the
    route (logging in, the first admin's setup); ``bulk``: the route takes values in bulk, up to
    ``max_upload_bytes``.
    """

    def __init__(self, action: Action | None, *, bulk: bool = False) -> None:
        self.action = action
        self.bulk = bulk

    def check(self, user: CurrentUser | None) -> CurrentUser | None:
        """``user`` when the rule lets them in; AuthenticationError or PermissionDeniedError otherwise."""
        if self.action is None:
            return user
        if user is None:
            raise AuthenticationError("login required")
        user.require(self.action)
        return user


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
    if len(set(password)) < 3:  # twelve spaces, or "aaaaaaaaaa", was accepted
        raise UserError("the password must have at least 3 different characters")


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 128 or any(c.isspace() for c in name):
        raise UserError("a user name is 1 to 128 characters without spaces")
    return name


def departments_of(project: Project) -> set[str]:
    """The departments the project's metrics name: the ones a user's department may be."""
    return {metric.department for metric in project.metrics.values() if metric.department}


def departments_if_given(department: str | None, project: Callable[[], Project]) -> set[str] | None:
    """:func:`departments_of` the project ``project()`` loads, when a department is given; else None (not
    checked): a user without a department is managed without loading the definitions (a broken YAML file
    does not stop the admins)."""
    return departments_of(project()) if (department or "").strip() else None


def check_department(department: str | None, known: Collection[str] | None) -> None:
    """A user's department is one the metrics name, exactly: an editor enters the values of the metrics of
    their department, and 'Salse' or 'sales' beside metrics of 'Sales' left them none, silently.
    ``known`` None: no project at hand, not checked."""
    if department is None or known is None or department in known:
        return
    if not known:
        raise UserError(f"department '{department}': no metric names a department (give metrics 'department:')")
    raise UserError(
        f"no metric belongs to the department '{department}'{did_you_mean_suffix(department, known)} "
        f"(the metrics' departments: {', '.join(sorted(known))})"
    )


# -- users ----------------------------------------------------------------------------------------
def name_conflict(name: str, taken: str | None) -> ConflictError | None:
    """Why ``name`` cannot be a new user's when the store holds ``taken`` (:func:`onpace.store.users.name_taken`)."""
    if taken is None:
        return None
    if taken == name:
        return ConflictError(f"a user named '{name}' exists already")
    # two people told apart by case alone would be taken for one another
    return ConflictError(f"a user named '{taken}' exists already: names differ in more than case")


def add_user(
    store: Store,
    name: str,
    password: str,
    role: str,
    *,
    actor: str,
    department: str | None = None,
    departments: Collection[str] | None = None,
) -> CurrentUser:
    """Create a user; raises ConflictError when the name is taken. ``departments``: those the department
    may be (:func:`departments_of`; None: not checked)."""
    name = check_name(name)
    checked = check_role(role)
    department = (department or "").strip() or None
    check_department(department, departments)
    check_password(password)
    with store.session() as s:
        u.lock_users(s)  # two creations of VIEWER1 and viewer1 at once: the second sees the first
        clash = name_conflict(name, u.name_taken(s, name))
        if clash is not None:
            raise clash
        row = u.add_user(s, name, _hasher.hash(password), checked, department)
        audit(s, actor, "create", "user", name, {"role": checked, "department": department})
        return _current(row.id, row.name, checked, row.department, "session")


def first_admin(store: Store, name: str, password: str) -> CurrentUser:
    """Create the first admin; refused (409) once any user exists, so it cannot be replayed (whatever
    the name and password: a closed setup does not judge them)."""
    with store.session(readonly=True) as s:
        if u.count_users(s) > 0:
            raise ConflictError("onpace is set up already: ask an admin for an account")
    name = check_name(name)
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
    """A new password: the user's browser sessions end and their API tokens are revoked."""
    update_user(store, name, actor=actor, password=password)


def update_user(
    store: Store,
    name: str,
    *,
    actor: str,
    role: str | None = None,
    department: str | None = None,
    disabled: bool | None = None,
    password: str | None = None,
    departments: Collection[str] | None = None,
) -> None:
    """Change a user, all or nothing: every value is checked before anything is written, in one transaction.
    ``departments``: those a new department may be (:func:`departments_of`; None: not checked).

    A change that would leave no active admin is refused (ConflictError). Changes are serialised
    (SQLite's write lock; on PostgreSQL the users table is locked for the transaction), so two
    admins who disable each other at once cannot both succeed. Disabling a user or changing their
    password ends their browser sessions and revokes their API tokens (re-enabling revives
    neither); a new role ends the sessions (a token always acts with its user's current role).
    """
    checked_role = check_role(role) if role is not None else None
    new_department = department.strip() or None if department is not None else None  # "": no department
    if new_department is not None and len(new_department) > 128:
        raise UserError("a department is at most 128 characters")
    if password is not None:
        check_password(password)
    hashed = _hasher.hash(password) if password is not None else None  # slow: before the lock
    with store.session() as s:
        u.lock_users(s)
        row = u.get_user(s, name)
        if row is None:
            raise NotFoundError(f"no user named '{name}'")
        changes: dict[str, object] = {}
        if checked_role is not None and checked_role != row.role:
            changes["role"] = row.role = checked_role
        if department is not None and new_department != row.department:
            check_department(new_department, departments)  # only a new one: a client may send the whole user
            changes["department"] = row.department = new_department
        if disabled is not None and disabled != row.disabled:
            changes["disabled"] = row.disabled = disabled
        if (row.role != "admin" or row.disabled) and u.count_active_admins(s) == 0:
            raise ConflictError("this would leave no active admin")
        if hashed is not None:
            row.password_hash = hashed
        if changes.get("disabled") or "role" in changes or hashed is not None:
            u.delete_sessions_of(s, row.id)  # every browser logs in again
        if changes.get("disabled") or hashed is not None:
            reason = "password changed" if hashed is not None else "user disabled"
            for token in u.revoke_tokens_of(s, row.id, utcnow()):
                audit(s, actor, "revoke", "token", token.name, {"id": token.id, "user": name, "reason": reason})
        if changes:
            audit(s, actor, "update", "user", name, changes)
        if hashed is not None:
            audit(s, actor, "set_password", "user", name)


# -- browser sessions -----------------------------------------------------------------------------
def client_key(host: str) -> str:
    """What failed logins are counted by: the address, or for IPv6 its /64 network (one host's usual share)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def is_demo_login(name: str, password: str) -> bool:
    return name.strip() == DEMO_USER and hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode())


def login(store: Store, name: str, password: str, client: str, *, production: bool = False) -> NewSession:
    """Check the password and open a session; AuthenticationError or TooManyRequestsError otherwise.

    The attempt is committed to the store first and only then counted, so requests that arrive
    together all count one another and no more than the limit reach the password check. The
    password is checked outside any transaction (argon2 takes a while; nobody waits for it).
    ``production``: refuse the published demo login whatever the store holds.
    """
    if production and is_demo_login(name, password):
        raise AuthenticationError(
            f"the demo login '{DEMO_USER}' is refused in production (ONPACE_ENVIRONMENT=production)"
        )
    client = client_key(client)
    now = utcnow()
    since = now - FAILURE_WINDOW
    with store.session() as s:
        u.purge_failed_logins(s, since)
        u.add_failed_login(s, name, client)  # a failure until it proves otherwise
    with store.session(readonly=True) as s:
        pair = u.failed_logins_since(s, since, name=name, client=client)
        from_client = u.failed_logins_since(s, since, client=client)
        row = u.get_user(s, name)
    if pair > MAX_FAILURES_PER_NAME or from_client > MAX_FAILURES_PER_CLIENT:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise TooManyRequestsError(f"too many failed logins: try again in {minutes} minutes")
    hashed = row.password_hash if row is not None else _DUMMY_HASH
    if row is None or not _verify(hashed, password) or row.disabled:
        raise AuthenticationError("wrong user name or password")  # the attempt stays: a failure
    with store.session() as s:
        current = u.get_user(s, name)
        if current is None or current.disabled or current.password_hash != hashed:  # changed meanwhile
            failed = True
        else:
            failed = False
            if _hasher.check_needs_rehash(current.password_hash):
                current.password_hash = _hasher.hash(password)
            u.clear_failed_logins(s, name, client)
            u.delete_expired_sessions(s, now)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            expires = now + SESSION_LIFETIME
            u.add_session(s, current.id, digest(token), csrf, expires)
            audit(s, name, "login", "user", name, {"client": client})
            user = _current(current.id, current.name, check_role(current.role), current.department, "session", csrf)
    if failed:
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
    with store.session(readonly=True) as s:  # never waits for a writer
        found = u.token_by_hash(s, digest(token))
        if found is None:
            return None
        row, user = found
        if row.revoked_at is not None or user.disabled:
            return None
        current = _current(user.id, user.name, check_role(user.role), user.department, "token")
        token_id, last_used = row.id, row.last_used_at
    now = utcnow()
    if last_used is None or now - last_used > TOKEN_TOUCH_INTERVAL:
        # at most one write a minute per token, and only if the store is free right now:
        # a request never waits for a long write (a push, a refresh) to note when a token was used
        u.touch_token(store, token_id, now)
    return current


# -- production -------------------------------------------------------------------------------------
DEMO_MARKER = ".onpace-demo"  # the file ``onpace demo`` leaves in the folders it makes


def production_problems(store: Store, root: Path | None = None) -> list[str]:
    """Why this store (and the project in ``root``) must not be served in production (empty: nothing).

    The published demo login works (``onpace demo`` made it), or the folder is a demo folder. The
    sessions and tokens are random values kept hashed in the store, so there is no signing secret.
    """
    problems: list[str] = []
    with store.session(readonly=True) as s:
        row = u.get_user(s, DEMO_USER)
    if row is not None and not row.disabled and _verify(row.password_hash, DEMO_PASSWORD):
        problems.append(
            f"the store has the demo login '{DEMO_USER}' with its published password: disable it "
            f"(onpace user disable {DEMO_USER}) or give it a new password (onpace user password {DEMO_USER})"
        )
    if root is not None and (root / DEMO_MARKER).exists():
        problems.append(f"{root} is a folder made by 'onpace demo' (it holds {DEMO_MARKER})")
    return problems


def check_servable(store: Store, root: Path, environment: str) -> None:
    """Refuse (UserError) to serve a store that cannot be written, or one unfit for production.

    ``onpace serve`` calls it before starting, and the app's startup again (for uvicorn run by hand).
    """
    u.check_writable(store)
    if environment == "production":
        problems = production_problems(store, root)
        if problems:
            raise UserError("refusing to serve in production (ONPACE_ENVIRONMENT=production): " + "; ".join(problems))


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _current(
    id_: int, name: str, role: Role, department: str | None, via: Literal["session", "token"], csrf: str | None = None
) -> CurrentUser:
    return CurrentUser(id=id_, name=name, role=role, department=department, via=via, csrf_token=csrf)
