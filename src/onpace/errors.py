"""Exceptions shared by every layer.

User errors (a bad definition, an unknown metric, a bad query parameter) are
kept apart from internal ones: they carry what a person needs to fix the
problem (file, line, what was expected, a suggestion) and an HTTP status for
the API layer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class OnpaceError(Exception):
    """Base class of every error onpace raises on purpose."""

    status: int = 500

    @property
    def public_message(self) -> str:
        """What a client of the web app or API may read (the full message may name server files)."""
        return str(self)


class UserError(OnpaceError):
    """Something the user can fix: input, definitions, parameters."""

    status = 400


class NotFoundError(UserError):
    status = 404


class AuthenticationError(UserError):
    """No valid login: a wrong password, an expired session, an unknown or revoked token."""

    status = 401


class PermissionDeniedError(UserError):
    """Logged in, but the role does not allow this."""

    status = 403


class ConflictError(UserError):
    """The request clashes with the current state (an object managed as code, a name taken)."""

    status = 409

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(message)


class TooManyRequestsError(UserError):
    """Rate limited (too many failed logins)."""

    status = 429


class BackendError(OnpaceError):
    """A data source failed (connection refused, SQL error on the backend)."""

    status = 502


class StoreError(OnpaceError):
    """onpace's own database (the store) cannot be reached or used.

    The message names the store (its file or URL without the password) for the log and the CLI;
    ``public`` is what web and API clients read: the reason without where the store is.
    """

    status = 503

    def __init__(self, message: str, public: str | None = None) -> None:
        super().__init__(message)
        self.public = public or "the store (onpace's database) cannot be used right now"

    @property
    def public_message(self) -> str:
        return self.public + ": try again in a moment; if it lasts, an admin finds the reason in the server's log"


class MissingDependencyError(UserError):
    """An optional engine is needed but not installed."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``name``, or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def hint(suggestion: str | None) -> str:
    """``; did you mean 'x'?`` for a suggestion, '' for none: the end of every message that has one."""
    return f"; did you mean '{suggestion}'?" if suggestion else ""


def did_you_mean_suffix(name: str, candidates: Iterable[str]) -> str:
    """:func:`hint` of the candidate closest to ``name`` ('' when none is close)."""
    return hint(did_you_mean(name, candidates))


@dataclass(frozen=True)
class Issue:
    """One problem found in the definitions, with where it is."""

    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None
    expected: str | None = None
    suggestion: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
            where += ": "
        text = where + (f"{self.path}: " if self.path else "") + self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text + hint(self.suggestion)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "message": self.message,
            "expected": self.expected,
            "suggestion": self.suggestion,
        }


class DefinitionError(UserError):
    """One or more problems in the project's definitions, all listed."""

    status = 422

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        count = len(issues)
        head = f"{count} problem{'s' if count != 1 else ''} in the definitions"
        super().__init__(head + ":\n" + "\n".join(f"  {i}" for i in issues))


class QueryError(UserError):
    """A query asks for something the definitions cannot answer."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        self.suggestion = suggestion
        super().__init__(message + hint(suggestion))
