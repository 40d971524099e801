"""YAML that would take the machine's memory or Python's stack is refused with its file and line (issue 13, item 13).

An "alias bomb" is ten lines whose aliases expand to billions of values; a deep
nesting overflows the recursion of the loader. Both are refused before anything
is built from them. The CLI runs in a subprocess under a 1 GB address-space limit,
so a regression fails the test (MemoryError) instead of eating the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from onpace.catalog.yamlpos import MAX_DEPTH, compose_yaml, load_yaml, parse_yaml
from onpace.errors import DefinitionError

MEMORY_LIMIT = 1 << 30  # bytes of address space for the subprocess
BOMB = """\
metrics:
  - name: boom
    type: manual
    grain: day
    meta:
      a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
      i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
DEEP = "metrics:\n  - name: deep\n    meta: " + "[" * 5000 + "]" * 5000 + "\n"
RECURSIVE = "metrics:\n  - name: loop\n    meta: &m\n      again: *m\n"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _project(root: Path, text: str) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "onpace.yml").write_text("name: limits\nmodels: [models]\n", encoding="utf-8")
    (root / "models" / "evil.yml").write_text(text, encoding="utf-8")
    return root


def _validate(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "onpace", "validate", "--project", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=_limit_memory,  # the child only sets its own limit
        check=False,
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (BOMB, 11, "aliases are expanded"),  # "f": the first list past the limit
        (DEEP, 3, f"deeper than {MAX_DEPTH} levels"),
        (RECURSIVE, 3, "alias refers to a value that contains it"),
    ],
    ids=["alias-bomb", "deep-nesting", "recursive-alias"],
)
def test_validate_refuses_the_file_with_its_line_in_little_memory(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    result = _validate(_project(tmp_path / "p", text))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # a user error, not a crash
    assert f"models/evil.yml:{line}:" in output and words in output, output
    assert "Traceback" not in output and "MemoryError" not in output and "RecursionError" not in output


def test_the_loader_refuses_before_building_anything(tmp_path: Path) -> None:
    path = tmp_path / "evil.yml"
    path.write_text(BOMB, encoding="utf-8")
    data, positions, issues = load_yaml(path, "models/evil.yml")
    assert data is None and positions == {}
    assert [(i.file, i.line) for i in issues] == [("models/evil.yml", 11)]
    for text in (BOMB, DEEP, RECURSIVE):  # the other ways in: a file's text read by the app's own writers
        with pytest.raises(DefinitionError, match=r"models/app\.yml"):
            parse_yaml(text, "models/app.yml")
        with pytest.raises(DefinitionError, match=r"models/app\.yml"):
            compose_yaml(text, "models/app.yml")


def test_ordinary_aliases_and_nesting_still_load(tmp_path: Path) -> None:
    text = (
        "common: &tags [a, b, c]\n"
        "one: {tags: *tags}\n"
        "two: {tags: *tags}\n"
        "nested: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n"
    )
    path = tmp_path / "ok.yml"
    path.write_text(text, encoding="utf-8")
    data, positions, issues = load_yaml(path, "ok.yml")
    assert issues == []
    assert data["one"]["tags"] == data["two"]["tags"] == ["a", "b", "c"]
    assert positions[("two", "tags")] == 3


def test_a_bombed_app_file_is_refused_by_the_app_not_expanded(tmp_path: Path) -> None:
    """What the server reloads: a strategist's request on a project whose app.yml is a bomb answers with the line."""
    root = _project(tmp_path / "p", "metrics:\n  - name: visits\n    type: manual\n    grain: day\n")
    (root / "models" / "app.yml").write_text(BOMB.replace("metrics", "kpis", 1), encoding="utf-8")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from onpace.catalog.project import load_project\n"
        "from onpace.errors import DefinitionError\n"
        "try:\n"
        f"    load_project(Path({str(root)!r}))\n"
        "except DefinitionError as exc:\n"
        "    print(exc.issues[0])\n"
        "    sys.exit(3)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
        check=False,
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("models/app.yml:11:"), result.stdout
