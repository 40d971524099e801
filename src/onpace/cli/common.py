"""What every command module of the CLI shares: consoles, error display, common options."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from onpace.errors import DefinitionError, OnpaceError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from onpace.catalog.project import Project
    from onpace.store.db import Store

console = Console()
err = Console(stderr=True)
M = TypeVar("M", bound="BaseModel")


class Format(StrEnum):
    """What a command that can write CSV prints."""

    table = "table"
    json = "json"
    csv = "csv"


class ViewFormat(StrEnum):
    """What a command that prints a table or JSON prints: ``-f csv`` is refused by the option itself,
    which names the choices (a reading command listed csv in its help, then refused it, or printed a table)."""

    table = "table"
    json = "json"


ViewFormatOpt = Annotated[ViewFormat, typer.Option("--format", "-f", help="table or json.")]


ProjectOpt = Annotated[
    Path, typer.Option("--project", "-p", help="Project directory (holds onpace.yml).", envvar="ONPACE_PROJECT")
]


@contextmanager
def user_errors() -> Iterator[None]:
    """Show onpace errors as a message and exit status 1, never a traceback."""
    try:
        yield
    except DefinitionError as exc:
        err.print(f"[bold red]error:[/bold red] {len(exc.issues)} problem(s) in the definitions", highlight=False)
        for issue in exc.issues:
            err.print(f"  {issue}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    except OnpaceError as exc:
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None


def check_output(path: Path | None, option: str) -> None:
    """Refuse, before any work, a file to write that cannot be: a folder, or in a folder that does not
    exist (``onpace report render --csv /nonexistent/x.csv`` rendered for 20 s, then a traceback)."""
    if path is None:
        return
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a folder; give a file in it", param_hint=option)
    if not path.parent.is_dir():
        raise typer.BadParameter(f"the folder {path.parent} does not exist", param_hint=option)


def write_output(path: Path, data: bytes | str, option: str) -> None:
    """Write ``data`` to ``path``; an error of the system (no permission, a full disk) is a message."""
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        err.print(
            f"[bold red]error:[/bold red] {option}: cannot write {escape(str(path))}: {escape(exc.strerror or str(exc))}"
        )
        raise typer.Exit(1) from None


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (expected YYYY-MM-DD)", param_hint=option) from None


@contextmanager
def project_and_store(project: Path) -> Iterator[tuple[Project, Store]]:
    """The project in ``project`` and its store (migrated to the current schema), closed afterwards."""
    from onpace.catalog.project import load_project
    from onpace.store.db import Store

    loaded = load_project(project)
    store = Store.for_project(loaded.root).ensure_current()
    try:
        yield loaded, store
    finally:
        store.close()


@contextmanager
def store_only(project: Path) -> Iterator[Store]:
    """The store of the project in ``project`` (migrated to the current schema), its definitions not
    loaded: for the commands that read only the store (loading them is most of their start-up)."""
    from onpace.config import PROJECT_FILE
    from onpace.store.db import Store

    root = project.resolve()
    if not (root / PROJECT_FILE).is_file():
        from onpace.catalog.project import load_project

        load_project(root)  # not a project: its error says what one is
    store = Store.for_project(root).ensure_current()
    try:
        yield store
    finally:
        store.close()


def parse_options(model: type[M], **options: object) -> M:
    """Options into a service's model (a filter): a value it refuses is a bad ``--option``, named."""
    from pydantic import ValidationError

    try:
        return model.model_validate(options)
    except ValidationError as exc:
        problem = exc.errors()[0]
        name = str(problem["loc"][0]) if problem["loc"] else ""
        raise typer.BadParameter(problem["msg"], param_hint="--" + name.replace("_", "-")) from None
