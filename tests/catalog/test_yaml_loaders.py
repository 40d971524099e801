"""libyaml's loader (the fast path of onpace.catalog.yamlpos) reads every definition file as the
pure-Python loader does: the same data, the same line of every key and item, the same issues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from onpace.catalog import yamlpos

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    p for folder in ("src", "tests", "docs") for p in (ROOT / folder).rglob("*.y*ml") if p.suffix in (".yml", ".yaml")
)
TRICKY = {
    "anchors and merge keys": "base: &b {a: 1, b: [x, y]}\nother:\n  <<: *b\n  c: 3\n",
    "duplicate key": "name: a\nmetrics: []\nname: b\n",
    "syntax error": "metrics:\n  - name: a\n   agg: sum\n",
    "tab indentation": "metrics:\n\t- name: a\n",
    "unclosed quote": "name: 'shop\n",
    "too deep": "x: " + "[" * (yamlpos.MAX_DEPTH + 5) + "]" * (yamlpos.MAX_DEPTH + 5) + "\n",
    "alias bomb": "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)),
    "empty": "",
    "comment only": "# nothing\n",
    "dates and numbers": "d: 2026-12-06\nn: 1_000\nf: 1e3\nb: yes\nnul: ~\n",
}


def _pure_python(text: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(yamlpos, "_CLoader", None)
        return yamlpos.load_yaml(Path("x.yml"), "x.yml", text)


def test_libyaml_is_there() -> None:
    assert yamlpos._CLoader is not None, "PyYAML without libyaml: every file is read by the slow loader"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_repository_reads_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    assert yamlpos.load_yaml(path, "x.yml", text) == _pure_python(text, monkeypatch)


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_texts_read_the_same(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = TRICKY[name]
    assert yamlpos.load_yaml(Path("x.yml"), "x.yml", text) == _pure_python(text, monkeypatch)


def test_the_fast_loader_reads_valid_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[str] = []
    real = yamlpos._compose_with

    def spy(loader: Any, **kwargs: Any) -> Any:
        used.append(type(loader).__name__)
        return real(loader, **kwargs)

    monkeypatch.setattr(yamlpos, "_compose_with", spy)
    data, positions, issues = yamlpos.load_yaml(Path("x.yml"), "x.yml", "metrics:\n  - name: a\n    agg: sum\n")
    assert (data, issues, used) == ({"metrics": [{"name": "a", "agg": "sum"}]}, [], ["_CLoader"])
    assert positions[("metrics", 0, "agg")] == 3


def test_too_deep_a_text_never_reaches_libyamls_recursive_composer(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[str] = []
    real = yamlpos._compose_with
    monkeypatch.setattr(
        yamlpos, "_compose_with", lambda loader, **kw: used.append(type(loader).__name__) or real(loader, **kw)
    )
    deep = "[" * 100_000 + "]" * 100_000
    _, _, [issue] = yamlpos.load_yaml(Path("x.yml"), "x.yml", deep)
    assert "nests deeper than" in issue.message
    assert used == ["_Loader"]
    assert not yamlpos._nests_within_limit(deep)
    assert yamlpos._nests_within_limit(TRICKY["anchors and merge keys"])
    assert isinstance(yaml.compose("a: 1", Loader=yamlpos._CLoader), yaml.MappingNode)
