"""Add a definition to a YAML list, or remove one, keeping the rest of the file as it was written.

The file is read and written by a round-trip YAML library (ruamel.yaml, ADR 0011),
which keeps comments, quoting, key order, flow and block styles, and block scalars:
only the one list item changes. The comment lines right above an item and the
comments at the end of its own lines go with it; the comments of the other items,
the file's head and the comments above the next section stay.

What the round trip cannot keep, it normalises: a flow mapping (``{...}``) written
over several lines is written on one, and the indentation of the file's lists
follows the first one. The callers check that the definitions read back are the
ones meant (:mod:`onpace.catalog.edit`): a change of meaning is refused, never written.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from onpace.errors import UserError

_WIDTH = 1 << 20  # never fold a long line


def remove_item(text: str, file: str, section: str, index: int, name: str, kind: str) -> str:
    """``text`` without item ``index`` (the ``kind`` named ``name``) of its top-level list ``section``.

    An emptied list is written ``section: []``. UserError when the item is not there, or the
    list is written inline (``[...]``): such a file is edited by hand.
    """
    handler, data = _load(text, file)
    items = data.get(section) if isinstance(data, CommentedMap) else None
    if not isinstance(items, CommentedSeq) or not 0 <= index < len(items) or _name(items[index]) != name:
        raise UserError(f"{kind} '{name}' was not found where {file} lists its {kind}s; remove it by hand")
    if items.fa.flow_style():
        raise UserError(f"the {kind}s of {file} are written inline ([...]); remove {kind} '{name}' by hand")
    _keep_what_follows(data, section, items, index)
    del items[index]
    if not items:
        items.fa.set_flow_style()  # `kpis: []`: still a list, for the next one added
    return _dump(handler, data, text)


def append_item(text: str, file: str, section: str, item: Mapping[str, Any]) -> str:
    """``text`` with ``item`` added at the end of its top-level list ``section`` (made when missing).

    The item is written in block style, quoted as PyYAML (which reads the definitions) needs:
    ``'yes'`` and ``'007'`` stay text.
    """
    handler, data = _load(text, file)
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise UserError(f"{file} is not a mapping of definitions; add '{item.get('name')}' by hand")
    items = data.get(section)
    if items is None:
        items = data[section] = CommentedSeq()
    if not isinstance(items, CommentedSeq):
        raise UserError(f"'{section}' in {file} is not a list; add '{item.get('name')}' by hand")
    items.fa.set_block_style()
    # written by PyYAML first, so its quoting is the one the loader needs, then read back round-trip
    block = yaml.safe_dump(dict(item), sort_keys=False, allow_unicode=True, default_flow_style=False)
    items.append(_round_trip().load(block))
    return _dump(handler, data, text)


def _keep_what_follows(data: CommentedMap, section: str, items: CommentedSeq, index: int) -> None:
    """Before item ``index`` goes: the lines between it and the next item (or what follows the list)
    stay, and the comment and blank lines between the item before and it go with it.

    ruamel.yaml keeps the lines after a value (its end-of-line comment, then blank and comment
    lines) in one token at the end of the item: moved here to the end of the item before it.
    """
    own = _end_slot(items[index])
    own_token = own[0].get(own[1], [None] * own[3])[own[2]] if own is not None else None
    after = "".join(own_token.value.splitlines(keepends=True)[1:]) if own_token is not None else ""
    if index > 0:
        before = _end_slot(items[index - 1])
        if before is None:
            return
        slots, key, at, size = before
        token = slots.get(key, [None] * size)[at]
        first = token.value.splitlines(keepends=True)[0] if token is not None else "\n"
        if token is None and not after:
            return
        if token is None:
            token = own_token  # the same kind of token, moved
        token.value = first + after
        slots.setdefault(key, [None] * size)[at] = token
    elif after and len(items) > 1:
        assert own_token is not None
        own_token.value = after  # now above the list's new first item
        pre = items.ca.items.setdefault(1, [None, None])
        pre[1] = [own_token, *(pre[1] or [])]
    elif after:
        assert own_token is not None
        own_token.value = "\n" + after  # after `kpis: []`
        data.ca.items.setdefault(section, [None] * 4)[2] = own_token


def _end_slot(node: Any) -> tuple[dict[Any, Any], Any, int, int] | None:
    """Where ruamel.yaml keeps the comment after ``node``'s last line: (comments, key, position, slots)."""
    if isinstance(node, CommentedMap) and node:
        key = list(node)[-1]
        value = node[key]
        if isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style():
            return _end_slot(value)
        return node.ca.items, key, 2, 4
    if isinstance(node, CommentedSeq) and node:
        value = node[-1]
        if isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style():
            return _end_slot(value)
        return node.ca.items, len(node) - 1, 0, 2
    return None


def _name(item: Any) -> Any:
    return item.get("name") if isinstance(item, Mapping) else None


def _round_trip(sequence: int = 4, offset: int = 2) -> YAML:
    handler = YAML(typ="rt")
    handler.preserve_quotes = True
    handler.width = _WIDTH
    handler.indent(mapping=2, sequence=sequence, offset=offset)
    return handler


def _load(text: str, file: str) -> tuple[YAML, Any]:
    try:
        _, sequence, offset = load_yaml_guess_indent(text) if text.strip() else (None, None, None)
        handler = _round_trip(sequence or 4, offset if offset is not None else 2)
        handler.explicit_start = _first_line(text).startswith("---")
        return handler, handler.load(text)
    except YAMLError as exc:
        raise UserError(f"{file} cannot be read as YAML: {exc}") from None


def _dump(handler: YAML, data: Any, original: str) -> str:
    out = io.StringIO()
    handler.dump(data, out)
    blank = original[: len(original) - len(original.lstrip("\n"))]  # the file's leading blank lines
    return blank + out.getvalue()


def _first_line(text: str) -> str:
    """The first line that is not blank nor a comment."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped
    return ""
