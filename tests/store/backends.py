"""The databases the store tests run on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backend:
    name: str  # "sqlite" or "postgresql"
    new_url: Callable[[], str]  # the URL of a new, empty database
