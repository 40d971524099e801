"""A Typer app that, when run, turns only the command asked for into a click command.

Typer builds the click command of every registered command each time the app runs: it reads
each function's signature and evaluates its annotations (strings, under ``from __future__ import
annotations``). With forty commands that is a tenth of what ``onpace status`` needs to start, for
commands that are not run. :class:`LazyTyper` looks at the command line first: ``onpace status
...`` builds ``status`` only, ``onpace runs list ...`` the ``runs`` group only. Without a
command (``onpace --help``, ``onpace`` alone) or with a name it does not know (for click's "No
such command" and its suggestions) it builds them all, as Typer does; ``onpace --version`` builds
none. Nothing else changes: the app keeps every command registered, so the tests, the
documentation check and ``typer.main.get_command(app)`` see the whole command line.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.main import get_command_name
from typer.models import CommandInfo, TyperInfo


def command_name(info: CommandInfo) -> str:
    """The name a registered command is run by (its function's name, dashed, unless it was given one)."""
    if info.name:
        return info.name
    assert info.callback is not None, "a registered command has a function"
    return get_command_name(info.callback.__name__)


def group_name(info: TyperInfo) -> str | None:
    """The name a registered group (``add_typer``) is run by."""
    if isinstance(info.name, str):
        return info.name
    instance = info.typer_instance
    name = instance.info.name if instance is not None else None
    return name if isinstance(name, str) else None


def asked_for(args: Sequence[str]) -> str | None:
    """The command named on the command line: its first word that is not an option."""
    return next((arg for arg in args if not arg.startswith("-")), None)


class LazyTyper(typer.Typer):
    """A :class:`typer.Typer` whose run builds only the command the command line names (see the module)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        argv = kwargs.get("args", args[0] if args else None)
        words = list(sys.argv[1:] if argv is None else argv)
        return typer.Typer.__call__(self.only(words), *args, **kwargs)

    def only(self, words: Sequence[str]) -> typer.Typer:
        """A copy of this app with only the command (or group) ``words`` runs, or this app itself when it needs them all."""
        name = asked_for(words)
        commands = [c for c in self.registered_commands if command_name(c) == name]
        groups = [g for g in self.registered_groups if group_name(g) == name]
        if name is None and (not words or "--help" in words):  # the list of every command
            return self
        if name is not None and not (commands or groups):  # click says it has no such command, and suggests one
            return self
        pruned = copy.copy(self)  # run by typer.Typer.__call__ (above): it is not pruned twice
        pruned.registered_commands = commands
        pruned.registered_groups = groups
        return pruned
