"""Load YAML while remembering the line of every key and list item.

Positions are kept beside the data, keyed by the path of each value
(``("metrics", 3, "numerator")``), so every later error can name its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from onpace.errors import Issue

PathKey = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    pass


def _no_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _walk(node: yaml.Node, path: PathKey, out: dict[PathKey, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), out)


def load_yaml(path: Path, display: str) -> tuple[Any, dict[PathKey, int], list[Issue]]:
    """(data, positions, issues) of one YAML file; a syntax error is an issue, not an exception."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, {}, [Issue(f"cannot read file: {exc}", file=display)]
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        where = f" at column {mark.column + 1}" if mark else ""
        problem = exc.problem or str(exc)
        return (
            None,
            {},
            [
                Issue(
                    f"YAML syntax error{where}: {problem}",
                    file=display,
                    line=line,
                    expected="valid YAML (check the indentation and quotes here and on the line before)",
                )
            ],
        )
    positions: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), positions)
    return data, positions, []


def line_of(positions: dict[PathKey, int], path: PathKey) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    probe = tuple(path)
    while True:
        if probe in positions:
            return positions[probe]
        if not probe:
            return None
        probe = probe[:-1]


def format_path(path: PathKey) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
