"""The commands that print a table or JSON offer exactly those: ``-f csv`` is refused by the option.

Found by QA: ``onpace status --help`` listed ``<table|json|csv>`` and then refused csv, and
``onpace lint -f csv`` and ``onpace validate -f csv`` printed a table with exit code 0 (the command
never looked at csv). Each command's ``--format`` now takes ``table`` or ``json`` only: csv is a
usage error (exit code 2) naming the choices, before the command reads anything.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from onpace.cli.main import app

runner = CliRunner()

TABLE_OR_JSON = (
    ("status",),
    ("lint",),
    ("validate", "--offline"),
    ("apply", "--dry-run"),
    ("backtest",),
    ("reviews", "list"),
    ("reviews", "remind"),
    ("runs", "list"),
    ("alert", "list"),
    ("alert", "history"),
    ("alert", "test", "some_rule"),
    ("alert", "run"),
    ("outbox", "list"),
    ("report", "list"),
    ("report", "send", "some_report"),
)
NO_PROJECT = (("library", "list"),)


@pytest.mark.parametrize("command", TABLE_OR_JSON + NO_PROJECT, ids=" ".join)
def test_csv_is_refused_by_the_option_with_the_choices(command: tuple[str, ...], tmp_path: object) -> None:
    project = () if command in NO_PROJECT else ("--project", str(tmp_path))
    refused = runner.invoke(app, [*command, "--format", "csv", *project])
    assert refused.exit_code == 2, refused.output
    assert "'csv' is not one of 'table', 'json'" in " ".join(refused.output.replace("│", " ").split())


@pytest.mark.parametrize("command", TABLE_OR_JSON + NO_PROJECT, ids=" ".join)
def test_the_help_lists_only_what_the_command_prints(command: tuple[str, ...]) -> None:
    shown = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "<table|json>" in shown.output and "csv" not in shown.output.lower().replace("csv_", "")
