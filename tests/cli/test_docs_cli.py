"""Every command and option of the CLI is documented in docs/cli.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup, TyperOption

from onpace.cli.main import app

DOC = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")


def commands(group: TyperGroup, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}".strip()
        if isinstance(command, TyperGroup):
            found += commands(command, path)
        else:
            found.append((path, command))
    return found


def test_every_command_and_option_is_documented() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    listed = commands(root)
    assert {path for path, _ in listed} >= {"init", "validate", "query", "sql", "example tpch"}
    missing = []
    for path, command in listed:
        if f"## `onpace {path}" not in DOC:
            missing.append(f"command {path}")
        for param in command.params:
            if isinstance(param, TyperOption):
                long = [o for o in param.opts if o.startswith("--")]
                if not any(f"`{o}`" in DOC for o in long):
                    missing.append(f"{path} {long}")
    assert not missing, f"undocumented in docs/cli.md: {missing}"
