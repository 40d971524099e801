"""docs/store.md is tested: the example marked ``<!-- example -->`` runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onpace.store.models import Base

DOC = Path(__file__).resolve().parents[2] / "docs" / "store.md"
EXAMPLE = re.compile(r"<!-- example -->\n```python\n(?P<body>.*?)```", re.S)


def test_the_example_runs_in_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [example] = [m["body"] for m in EXAMPLE.finditer(DOC.read_text(encoding="utf-8"))]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    exec(compile(example, str(DOC), "exec"), {})
    assert (tmp_path / ".onpace" / "store.db").is_file()


def test_the_documented_tables_are_the_tables() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", DOC.read_text(encoding="utf-8"), re.M))
    assert documented == set(Base.metadata.tables)
