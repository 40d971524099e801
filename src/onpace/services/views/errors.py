"""The body of an error answer: one form for every 4xx and 5xx of the API."""

from __future__ import annotations

from pydantic import Field

from onpace.services.views.base import View


class Problem(View):
    """One problem of a request that does not validate (where, what, which rule), never the input."""

    type: str
    loc: list[str | int]
    msg: str


class IssueView(View):
    """One problem of a definition or of a row of values, with its file or line."""

    file: str | None = None
    line: int | None = None
    path: str | None = None
    message: str
    expected: str | None = None
    suggestion: str | None = None


class ErrorBody(View):
    """``{"detail": ..., "issues": [...], "hint": ...}``: the message, or the request's problems."""

    detail: str | list[Problem]
    issues: list[IssueView] | None = Field(default=None, description="every problem, each with its file or line")
    hint: str | None = Field(default=None, description="what to do about it")


class ValidationReport(View):
    """``onpace validate --format json``: whether the definitions (and the data) pass, and every problem."""

    ok: bool
    issues: list[IssueView]
