"""Commands of the web app: serve, and user accounts."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from onpace.cli.common import ProjectOpt, console, err, user_errors

if TYPE_CHECKING:
    from onpace.catalog.project import Project
    from onpace.config import Settings
    from onpace.store.db import Store

user_app = typer.Typer(help="User accounts of the web app and the API.", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Worker processes (they, and `onpace refresh`, read a DuckDB source at once)."),
    ] = 1,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Run the scheduled jobs in each worker process too (each tick runs once whichever claims it).",
        ),
    ] = True,
    project: ProjectOpt = Path("."),
) -> None:
    """Start the web app and the REST API (OpenAPI at /api/docs), and the scheduled jobs."""
    from onpace.catalog.project import load_project

    with user_errors():
        loaded = load_project(project)  # a broken project fails here, with every problem listed
        _check_store(loaded.root)
        if scheduler:
            _check_jobs(loaded)
    os.environ["ONPACE_SCHEDULER"] = "on" if scheduler else "off"  # read by each worker's app (create_app)
    _serve(loaded.root, loaded.config.name, host, port, workers)


def _check_jobs(project: Any) -> None:
    """Refuse to start when a scheduled job cannot be made (a schedule.jobs entry of an unknown kind)."""
    from onpace.services.scheduler import jobs_of

    jobs_of(project)


def _check_store(root: Path) -> None:
    """Refuse to serve (a message, exit status 1) a store that cannot be written, or one unfit for production."""
    from onpace.config import Settings
    from onpace.services import auth
    from onpace.store.db import Store

    settings = Settings()
    store = Store.for_project(root, settings).ensure_current()
    try:
        auth.check_servable(store, root, settings.environment)
    finally:
        store.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn treats forwarded headers: believed only from ``ONPACE_TRUSTED_PROXIES``, else ignored."""
    proxies = (settings.trusted_proxies or "").strip()
    if not proxies:  # uvicorn's default would believe any X-Forwarded-For sent from 127.0.0.1
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}


def _serve(root: Path, name: str, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from onpace.config import Settings

    os.environ["ONPACE_PROJECT"] = str(root)
    console.print(f"onpace serves [bold]{name}[/bold] on http://{host}:{port} (API docs: /api/docs)")
    uvicorn.run(
        "onpace.server:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        **uvicorn_options(Settings()),
    )


def demo(
    directory: Annotated[Path, typer.Argument(help="Directory of the demo project.")] = Path("onpace-demo"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web app when ready.")] = True,
    fresh: Annotated[bool, typer.Option(help="Start over: generate the demo again (deletes DIRECTORY).")] = False,
) -> None:
    """The demo company: generate its data, define its KPIs, refresh, add notes, and open the web app."""
    import time

    from onpace.examples import demo as demo_project

    started = time.perf_counter()
    with user_errors():
        result = demo_project.prepare(directory, fresh=fresh, progress=lambda step: console.print(f"- {step}"))
    counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(result.statuses.items()))
    console.print(
        f"[green]Ready[/green] in {time.perf_counter() - started:.0f} s: {result.refresh.evaluated} KPI evaluations "
        f"({counts})"
    )
    console.print(
        f"Log in at [bold]http://{host}:{port}[/bold] as [bold]{demo_project.DEMO_USER}[/bold] "
        f"with the password [bold]{demo_project.DEMO_PASSWORD}[/bold] (a demo login: only `onpace demo` creates it)"
    )
    if serve:
        _serve(result.root, demo_project.PROJECT_NAME, host, port)
    else:
        console.print(f"Start it with: [bold]onpace serve --project {directory} --host {host} --port {port}[/bold]")


@user_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The user name (no spaces).")],
    role: Annotated[str, typer.Option(help="admin, strategist, editor or viewer.")] = "viewer",
    department: Annotated[str | None, typer.Option(help="The department (editors enter its metrics' values).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
    ] = False,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing when the user exists already.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Add a user; the password is asked for (or read from stdin), never passed as an argument."""
    from onpace.services import admin, auth
    from onpace.services.refresh import actor

    with user_errors():  # a name that is malformed or taken is refused before the password is asked
        name = auth.check_name(name)
        store = _store(project)
        try:
            taken = admin.taken_name(store, name)
        finally:
            store.close()
        if if_missing and taken == name:
            console.print(f"user '{name}' exists already", markup=False)
            return
        clash = auth.name_conflict(name, taken)
        if clash is not None:
            raise clash

    def loaded() -> Project:
        from onpace.catalog.project import load_project  # the definitions: only for a department

        return load_project(project)

    with user_errors():  # the department is checked against the metrics' before the password is asked
        known = auth.departments_if_given(department, loaded)
        auth.check_department((department or "").strip() or None, known)
    password = _read_password(name, password_stdin)
    with user_errors():
        store = _store(project)
        try:
            auth.add_user(store, name, password, role, actor=actor(), department=department, departments=known)
        finally:
            store.close()
    console.print(f"[green]added[/green] user '{name}' ({role})")


@user_app.command("list")
def list_users(project: ProjectOpt = Path(".")) -> None:
    """The users, their roles and departments."""
    from rich.table import Table

    from onpace.services import admin

    with user_errors():
        store = _store(project)
        try:
            rows = admin.users(store)
        finally:
            store.close()
    table = Table("name", "role", "department", "disabled", header_style="bold")
    for u in rows:
        table.add_row(u.name, u.role, u.department or "", "yes" if u.disabled else "")
    console.print(table)


def _read_password(name: str, from_stdin: bool) -> str:
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("again: ") != password:
        err.print("[red]the passwords differ[/red]")
        raise typer.Exit(1)
    return password


def _update(project: Path, name: str, **change: Any) -> None:
    from onpace.services import auth
    from onpace.services.refresh import actor

    with user_errors():
        store = _store(project)
        try:
            auth.update_user(store, name, actor=actor(), **change)
        finally:
            store.close()


@user_app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="The user name.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Disable a user: their browser sessions end and their API tokens are revoked (the last admin stays)."""
    _update(project, name, disabled=True)
    console.print(f"[green]disabled[/green] user '{name}' (sessions ended, API tokens revoked)")


@user_app.command("enable")
def enable(
    name: Annotated[str, typer.Argument(help="The user name.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Enable a disabled user again (their old API tokens stay revoked)."""
    _update(project, name, disabled=False)
    console.print(f"[green]enabled[/green] user '{name}'")


@user_app.command("password")
def password(
    name: Annotated[str, typer.Argument(help="The user name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from standard input (for scripts).")
    ] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Set a new password: the user's browser sessions end and their API tokens are revoked."""
    new = _read_password(name, password_stdin)
    _update(project, name, password=new)
    console.print(f"[green]changed[/green] the password of '{name}' (sessions ended, API tokens revoked)")


def _store(project: Path) -> Store:
    from onpace.catalog.project import load_project
    from onpace.store.db import Store

    return Store.for_project(load_project(project).root).ensure_current()
