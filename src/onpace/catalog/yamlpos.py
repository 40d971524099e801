"""Load YAML while remembering the line of every key and list item.

Positions are kept beside the data, keyed by the path of each value
(``("metrics", 3, "numerator")``), so every later error can name its line.

YAML files come from people and are re-read by the server whenever they
change, so a file is refused (an issue at the line where the limit is passed)
before anything is built from it when it nests deeper than ``MAX_DEPTH``
levels, or holds more than ``MAX_NODES`` values once each alias is counted as
a copy of what it names (an "alias bomb": ten lines that expand to billions
of values), or has an alias inside the value it names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from onpace.errors import DefinitionError, Issue

PathKey = tuple[str | int, ...]


MAX_DEPTH = 64  # levels of nested mappings and lists, aliases expanded
MAX_NODES = 250_000  # keys, items and scalars of one file, each alias counted as a copy of what it names


class YamlLimitError(yaml.MarkedYAMLError):
    """A file that nests too deep or expands to too much; refused before it is built."""


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # composing recurses once per level: stop before Python's recursion limit does
        self._depth += 1  # the level of the node composed here: 1 for the document's own mapping
        try:
            if self._depth > MAX_DEPTH and self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
                raise YamlLimitError(
                    None, None, f"the YAML nests deeper than {MAX_DEPTH} levels", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _no_duplicates(loader: yaml.BaseLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
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


def _libyaml_loader() -> type[Any] | None:
    """libyaml's parser and composer (C) with the safe constructor and the same duplicate-key check:
    about five times faster than :class:`_Loader` on the definitions, with the same nodes, marks
    and data (None: PyYAML was built without libyaml). Its composer recurses in C with no limit of
    its own, so a text goes to it only after :func:`_nests_within_limit` has read its events
    (iteratively) within ``MAX_DEPTH``."""
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    loader: type[Any] = type("_CLoader", (yaml.CSafeLoader,), {})
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
    return loader


_CLoader = _libyaml_loader()


def _nests_within_limit(text: str) -> bool:
    """Whether libyaml reads ``text`` as YAML nesting at most ``MAX_DEPTH`` levels (its parser is
    iterative); False too on a syntax error, which the pure-Python parser then reports."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return False
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return False
    return True


def _check_size(root: yaml.Node) -> None:
    """Refuse a composed document that is too big or too deep once its aliases are expanded.

    An alias is the very node it names, so the composed document is small even
    when its expansion is not: count each node's expanded size once (memoised),
    following the nesting no deeper than ``MAX_DEPTH``.
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    open_nodes: set[int] = set()

    def refuse(problem: str, node: yaml.Node) -> YamlLimitError:
        return YamlLimitError(None, None, problem, node.start_mark)

    def visit(node: yaml.Node, depth: int) -> None:
        """``depth``: the lists and mappings around ``node``; its height: the levels it holds itself."""
        key = id(node)
        if key in open_nodes:
            raise refuse("an alias refers to a value that contains it", node)
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            sizes[key], heights[key] = 1, 0
            return
        deeper = f"the YAML nests deeper than {MAX_DEPTH} levels once its aliases are expanded"
        if depth + 1 > MAX_DEPTH:
            raise refuse(deeper, node)
        open_nodes.add(key)
        size, height = 1, 1
        for child in children:
            if id(child) not in sizes:
                visit(child, depth + 1)
            size += sizes[id(child)]
            height = max(height, heights[id(child)] + 1)
            # an alias is the node it names, marked where that was written: name the node that holds it
            if depth + height > MAX_DEPTH:
                raise refuse(deeper, node)
            if size > MAX_NODES:
                raise refuse(f"the YAML holds over {MAX_NODES:,} values once its aliases are expanded", node)
        open_nodes.discard(key)
        sizes[key], heights[key] = size, height

    visit(root, 0)


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


def load_yaml(path: Path, display: str, text: str | None = None) -> tuple[Any, dict[PathKey, int], list[Issue]]:
    """(data, positions, issues) of one YAML file (``text``: its text instead of what is on disk);
    a syntax error or a file over the limits is an issue, not an exception."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, {}, [Issue(f"cannot read file: {exc}", file=display)]
    positions: dict[PathKey, int] = {}
    try:
        data = _compose_and_load(text, positions=positions)[1]
    except yaml.MarkedYAMLError as exc:
        return None, {}, [_issue(exc, display)]
    return data, positions, []


def compose_yaml(text: str, display: str) -> yaml.Node | None:
    """The node tree of ``text`` (within the limits), or a DefinitionError naming the line."""
    try:
        return _compose_and_load(text, construct=False)[0]
    except yaml.MarkedYAMLError as exc:
        raise DefinitionError([_issue(exc, display)]) from None


def parse_yaml(text: str, display: str) -> Any:
    """The data of ``text`` (within the limits), or a DefinitionError naming the line."""
    try:
        return _compose_and_load(text)[1]
    except yaml.MarkedYAMLError as exc:
        raise DefinitionError([_issue(exc, display)]) from None


def _compose_and_load(
    text: str, *, construct: bool = True, positions: dict[PathKey, int] | None = None
) -> tuple[yaml.Node | None, Any]:
    """Parse once: compose, check the limits, note the positions, then build the data.

    With libyaml, a text within the nesting limit is composed and built by :class:`_CLoader`;
    anything it refuses is read again by the pure-Python :class:`_Loader`, whose messages (and
    limits) are the ones users and tests know."""
    if _CLoader is not None and _nests_within_limit(text):
        try:
            return _compose_with(_CLoader(text), construct=construct, positions=positions)
        except yaml.YAMLError:
            pass  # told below, in the pure-Python parser's words
    return _compose_with(_Loader(text), construct=construct, positions=positions)


def _compose_with(
    loader: Any, *, construct: bool, positions: dict[PathKey, int] | None
) -> tuple[yaml.Node | None, Any]:
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_size(node)
        if positions is not None:
            _walk(node, (), positions)  # before building: merge keys ('<<') rewrite the nodes they are in
        return node, loader.construct_document(node) if construct else None
    finally:
        loader.dispose()


def _issue(exc: yaml.MarkedYAMLError, display: str) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    where = f" at column {mark.column + 1}" if mark else ""
    problem = exc.problem or str(exc)
    if isinstance(exc, YamlLimitError):
        return Issue(
            f"YAML refused{where}: {problem}",
            file=display,
            line=line,
            expected=f"at most {MAX_DEPTH} levels of nesting and {MAX_NODES:,} values, aliases expanded",
        )
    return Issue(
        f"YAML syntax error{where}: {problem}",
        file=display,
        line=line,
        expected="valid YAML (check the indentation and quotes here and on the line before)",
    )


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
