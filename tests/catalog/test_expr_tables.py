"""The expression parser's pre-generated LALR tables (onpace.catalog.expr_tables) parse as the grammar does.

lark numbers the LALR states differently in each process (it walks sets), so the tables are not
compared with a fresh build's; the parser loaded from them and one built from the grammar must give
the same tree for text using every rule of the grammar, and the same error for text that is wrong.
"""

from __future__ import annotations

import pytest
from lark import Lark

from onpace.catalog import expr, expr_tables
from onpace.catalog.expr import GRAMMAR, ExpressionError

REGENERATE = "the grammar or lark changed: run `python -m onpace.catalog.expr` and `ruff format` the file"

SAMPLES = [  # every rule and terminal of the grammar at least once
    "l_extendedprice * (1 - l_discount)",
    "region = 'EU' and channel in ('web', 'app') or not flag",
    "not (a is null) or b between 1 and 2.5 and c is not null",
    "coalesce(x, 0) / nullif(y, 0) >= -3 AND z NOT IN (1, 2)",
    "name not like 'A%' and d < date '2026-01-31' and e like 'b_'",
    "w not between 0 and 1e3 or t = true or f = false or n = null",
    "case when a > 1 then 'big' when a > 0 then 'small' else 'none' end",
    "CASE WHEN x.y.z <> 2 THEN 1 END - - x % 3",
    "round(abs(o_totalprice), 2) + greatest(a, b, c)",
]
BAD = [
    "f()",
    "count_distinct(x)",
    "a +",
    "a = = b",
    "(a",
    "a in ()",
    "a ? b",
    "'unterminated",
    "case when a end",
    "date 5",
    "x.",
    "",
]


def _fresh() -> Lark:
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=True, transformer=expr._ToTree())


def test_the_tables_are_generated_from_this_grammar_and_lark() -> None:
    assert expr.grammar_fingerprint() == expr_tables.FINGERPRINT, REGENERATE
    built = _fresh()
    loaded = Lark._load_from_dict(expr_tables.DATA, expr_tables.MEMO, transformer=expr._ToTree())
    assert sorted(str(r) for r in loaded.rules) == sorted(str(r) for r in built.rules)
    assert sorted((t.name, t.pattern.to_regexp(), t.priority) for t in loaded.terminals) == sorted(
        (t.name, t.pattern.to_regexp(), t.priority) for t in built.terminals
    )


def test_the_parser_in_use_is_loaded_from_the_tables() -> None:
    expr._parser.cache_clear()
    try:
        assert expr._pregenerated_tables() is not None
        assert expr._parser().source_path == "<deserialized>"  # lark's mark of a loaded parser
    finally:
        expr._parser.cache_clear()


@pytest.mark.parametrize("text", SAMPLES)
def test_loaded_and_built_parsers_give_the_same_tree(text: str) -> None:
    expr._parser.cache_clear()
    expr.parse.cache_clear()
    try:
        assert expr._parser().parse(text) == _fresh().parse(text)
    finally:
        expr._parser.cache_clear()
        expr.parse.cache_clear()


@pytest.mark.parametrize("text", BAD)
def test_loaded_and_built_parsers_refuse_the_same_text_with_the_same_error(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def error() -> str:
        expr._parser.cache_clear()
        expr.parse.cache_clear()
        with pytest.raises(ExpressionError) as caught:
            expr.parse(text)
        return str(caught.value)

    try:
        loaded = error()
        monkeypatch.setattr(expr, "_pregenerated_tables", lambda: None)
        built = error()
    finally:
        expr._parser.cache_clear()
        expr.parse.cache_clear()
    assert loaded == built


def test_tables_of_another_grammar_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expr_tables, "FINGERPRINT", "0" * 64 + " lark 0")
    assert expr._pregenerated_tables() is None
