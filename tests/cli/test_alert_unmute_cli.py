"""``onpace alert unmute`` prints what happened as plain text: a user name may hold ``[`` and ``]``.

Found by review: the sentence for a mute that had ended already names who ended it, and was printed as
Rich markup, so a user named ``[/x]`` (a valid name: no spaces) made the command fail with a
MarkupError traceback.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app
from onpace.config import Settings
from onpace.services import alerts
from onpace.store.db import Store

from .test_startup_imports import CONFIG, MODELS


def test_unmute_names_whoever_ended_the_mute_as_text(tmp_path: Path) -> None:
    (tmp_path / "onpace.yml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "startup.yml").write_text(MODELS, encoding="utf-8")
    project = load_project(tmp_path)
    store = Store.for_project(tmp_path, Settings(database_url=None)).ensure_current()
    try:
        until = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
        made = alerts.mute(project, store, "few_signups", until=until, by="ana", why="launch week")
        alerts.unmute(project, store, made.id, by="[/x]")
    finally:
        store.close()
    result = CliRunner().invoke(app, ["alert", "unmute", str(made.id), "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"mute {made.id} had ended already: on " in result.output and "UTC, by [/x]" in result.output
