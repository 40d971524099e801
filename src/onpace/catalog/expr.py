"""The small, safe expression language of definitions and query filters.

Text such as ``region = 'EU' and channel in ('web', 'app')`` or
``l_extendedprice * (1 - l_discount)`` is parsed into a tree of the nodes
below. The engine compiles that tree into backend expressions; the text itself
never reaches SQL. Only the operators and the functions listed in
:data:`FUNCTIONS` exist.
"""

from __future__ import annotations

import builtins
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from onpace.errors import UserError, hint

GRAMMAR = r"""
?start: expr
?expr: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> not_
         | predicate
?predicate: sum
          | sum COMP sum -> compare
          | sum _IS _NULL -> is_null
          | sum _IS _NOT _NULL -> is_not_null
          | sum _IN "(" list ")" -> in_
          | sum _NOT _IN "(" list ")" -> not_in
          | sum _BETWEEN sum _AND sum -> between
          | sum _NOT _BETWEEN sum _AND sum -> not_between
          | sum _LIKE STRING -> like
          | sum _NOT _LIKE STRING -> not_like
list: expr ("," expr)*
?sum: product
    | sum ADDOP product -> binop
?product: unary
        | product MULOP unary -> binop
?unary: "-" unary -> neg
      | atom
?atom: NUMBER -> number
     | STRING -> string
     | _TRUE -> true
     | _FALSE -> false
     | _NULL -> null
     | _DATE STRING -> date
     | NAME "(" [list] ")" -> func
     | NAME ("." NAME)* -> name
     | case
     | "(" expr ")"
case: _CASE when+ [_ELSE expr] _END
when: _WHEN expr _THEN expr

_OR.2: /or\b/i
_AND.2: /and\b/i
_NOT.2: /not\b/i
_IS.2: /is\b/i
_IN.2: /in\b/i
_NULL.2: /null\b/i
_TRUE.2: /true\b/i
_FALSE.2: /false\b/i
_BETWEEN.2: /between\b/i
_LIKE.2: /like\b/i
_DATE.2: /date\b(?=\s*')/i
_CASE.2: /case\b/i
_WHEN.2: /when\b/i
_THEN.2: /then\b/i
_ELSE.2: /else\b/i
_END.2: /end\b/i
COMP: "<=" | ">=" | "!=" | "<>" | "=" | "<" | ">"
ADDOP: "+" | "-"
MULOP: "*" | "/" | "%"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
NUMBER: /\d+(\.\d*)?([eE][+-]?\d+)?/ | /\.\d+([eE][+-]?\d+)?/
STRING: /'(?:[^']|'')*'/
%ignore /\s+/
"""

#: Functions the language knows, with (min, max) argument counts (None: any).
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "round": (1, 2),
    "floor": (1, 1),
    "ceil": (1, 1),
    "coalesce": (2, None),
    "nullif": (2, 2),
    "greatest": (2, None),
    "least": (2, None),
    "lower": (1, 1),
    "upper": (1, 1),
    "trim": (1, 1),
    "length": (1, 1),
    "concat": (2, None),
    "year": (1, 1),
    "month": (1, 1),
    "day": (1, 1),
    "quarter": (1, 1),
    "if": (3, 3),
}


@dataclass(frozen=True)
class Name:
    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | dt.date | None


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    op: str  # = != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNull:
    operand: Node
    negate: bool


@dataclass(frozen=True)
class InList:
    operand: Node
    values: tuple[Node, ...]
    negate: bool


@dataclass(frozen=True)
class Between:
    operand: Node
    low: Node
    high: Node
    negate: bool


@dataclass(frozen=True)
class Like:
    operand: Node
    pattern: str
    negate: bool


@dataclass(frozen=True)
class Func:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Case:
    whens: tuple[tuple[Node, Node], ...]
    default: Node | None


Node = Name | Literal | BinOp | Neg | Not | BoolOp | Compare | IsNull | InList | Between | Like | Func | Case


class ExpressionError(UserError):
    """A syntax or usage error in an expression, with the column where it is."""

    def __init__(self, text: str, message: str, column: int | None = None, suggestion: str | None = None) -> None:
        self.text = text
        self.column = column
        self.reason = message
        self.suggestion = suggestion
        where = f" at column {column}" if column else ""
        super().__init__(f"{message}{where} in expression {shorten(text)!r}{hint(suggestion)}")


def _unquote(token: str) -> str:
    return token[1:-1].replace("''", "'")


@v_args(inline=True)
class _ToTree(Transformer):
    def number(self, tok: Token) -> Literal:
        text = str(tok)
        if any(c in text for c in ".eE"):
            return Literal(float(text))
        return Literal(int(text))

    def string(self, tok: Token) -> Literal:
        return Literal(_unquote(str(tok)))

    def true(self) -> Literal:
        return Literal(True)

    def false(self) -> Literal:
        return Literal(False)

    def null(self) -> Literal:
        return Literal(None)

    def date(self, tok: Token) -> Literal:
        raw = _unquote(str(tok))
        try:
            return Literal(dt.date.fromisoformat(raw))
        except ValueError:
            raise _Bad(f"invalid date literal {raw!r}, expected YYYY-MM-DD", tok.column) from None

    def name(self, *parts: Token) -> Name:
        return Name(tuple(str(p) for p in parts))

    def func(self, name: Token, args: list[Node] | None) -> Func:
        fname = str(name).lower()
        arity = FUNCTIONS.get(fname)
        if arity is None:
            from onpace.errors import did_you_mean

            raise _Bad(f"unknown function '{name}'", name.column, did_you_mean(fname, FUNCTIONS))
        argv = tuple(args or ())
        lo, hi = arity
        if len(argv) < lo or (hi is not None and len(argv) > hi):
            want = str(lo) if lo == hi else (f"{lo} or more" if hi is None else f"{lo} to {hi}")
            raise _Bad(f"function '{fname}' takes {want} arguments, got {len(argv)}", name.column)
        return Func(fname, argv)

    def list(self, *items: Node) -> builtins.list[Node]:
        return builtins.list(items)

    def binop(self, left: Node, op: Token, right: Node) -> BinOp:
        return BinOp(str(op), left, right)

    def neg(self, operand: Node) -> Node:
        if (
            isinstance(operand, Literal)
            and isinstance(operand.value, (int, float))
            and not isinstance(operand.value, bool)
        ):
            return Literal(-operand.value)
        return Neg(operand)

    def not_(self, operand: Node) -> Not:
        return Not(operand)

    def or_expr(self, *operands: Node) -> BoolOp:
        return BoolOp("or", operands)

    def and_expr(self, *operands: Node) -> BoolOp:
        return BoolOp("and", operands)

    def compare(self, left: Node, op: Token, right: Node) -> Compare:
        text = str(op)
        return Compare("!=" if text == "<>" else text, left, right)

    def is_null(self, operand: Node) -> IsNull:
        return IsNull(operand, False)

    def is_not_null(self, operand: Node) -> IsNull:
        return IsNull(operand, True)

    def in_(self, operand: Node, values: builtins.list[Node]) -> InList:
        return InList(operand, tuple(values), False)

    def not_in(self, operand: Node, values: builtins.list[Node]) -> InList:
        return InList(operand, tuple(values), True)

    def between(self, operand: Node, low: Node, high: Node) -> Between:
        return Between(operand, low, high, False)

    def not_between(self, operand: Node, low: Node, high: Node) -> Between:
        return Between(operand, low, high, True)

    def like(self, operand: Node, pattern: Token) -> Like:
        return Like(operand, _unquote(str(pattern)), False)

    def not_like(self, operand: Node, pattern: Token) -> Like:
        return Like(operand, _unquote(str(pattern)), True)

    def when(self, cond: Node, value: Node) -> tuple[Node, Node]:
        return (cond, value)

    def case(self, *items: object) -> Case:
        *whens, default = items
        return Case(tuple(whens), default)  # type: ignore[arg-type]


class _Bad(Exception):
    def __init__(self, message: str, column: int | None, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.suggestion = suggestion


#: The longest expression accepted, in characters (a definition's or a query's filter).
MAX_LENGTH = 20_000
#: The deepest nesting accepted: operands inside operators inside ... (``- - x`` is 3 deep).
#: Compiling and running an expression recurses once or more per level, in onpace, ibis and
#: the SQL generator; this keeps the deepest expression well within Python's recursion limit.
MAX_DEPTH = 64


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The parser: LALR with a transformer, so the tree is built while parsing (no recursion, however
    deep the input). Its tables come from :mod:`onpace.catalog.expr_tables` when they were generated
    from this grammar by this version of lark (building them costs about 40 ms at every start of a
    command); otherwise they are built here."""
    tables = _pregenerated_tables()
    if tables is not None:
        data, memo = tables
        return cast(Lark, Lark._load_from_dict(data, memo, transformer=_ToTree()))
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=True, transformer=_ToTree())


def grammar_fingerprint() -> str:
    """What the generated tables must have been made from: the grammar's SHA-256 and lark's version."""
    import hashlib

    import lark

    return f"{hashlib.sha256(GRAMMAR.encode()).hexdigest()} lark {lark.__version__}"


def _pregenerated_tables() -> tuple[dict[str, Any], dict[int, Any]] | None:
    try:
        from onpace.catalog import expr_tables
    except ImportError:  # pragma: no cover - the module is part of the package
        return None
    if grammar_fingerprint() != expr_tables.FINGERPRINT:
        return None
    return expr_tables.DATA, expr_tables.MEMO


def tables_source() -> str:
    """The text of :mod:`onpace.catalog.expr_tables` for the grammar and lark installed
    (``python -m onpace.catalog.expr`` writes it; ``ruff format`` it then, as every file)."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    built = Lark(GRAMMAR, parser="lalr", maybe_placeholders=True, transformer=_ToTree())
    data, memo = built.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k != "transformer"}  # given at load
    return (
        '"""The expression parser\'s LALR tables, generated by ``python -m onpace.catalog.expr``: do not edit.\n\n'
        "Loaded by :func:`onpace.catalog.expr._parser` when ``FINGERPRINT`` is the grammar's and the\n"
        "installed lark's; a test fails when they are out of date.\n"
        '"""\n\n'
        "from __future__ import annotations\n\nfrom typing import Any\n\n"
        f"FINGERPRINT = {grammar_fingerprint()!r}\n"
        f"DATA: dict[str, Any] = {data!r}\n"
        f"MEMO: dict[int, Any] = {memo!r}\n"
    )


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """Parse ``text`` into a tree; raise :class:`ExpressionError` if it is not valid.

    Longer than :data:`MAX_LENGTH` or nested deeper than :data:`MAX_DEPTH` is not valid.
    """
    if not text.strip():
        raise ExpressionError(str(text), "empty expression")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text, f"the expression is {len(text)} characters long; at most {MAX_LENGTH} are accepted")
    try:
        node = cast(Node, _parser().parse(text))  # the transformer's tree, not lark's
        levels = depth(node)
        if levels > MAX_DEPTH:
            raise _Bad(f"the expression is nested {levels} levels deep; at most {MAX_DEPTH} are accepted", None)
    except RecursionError:  # pragma: no cover - parsing does not recurse; kept as a located error all the same
        raise ExpressionError(text, f"the expression is nested too deeply (at most {MAX_DEPTH} levels)") from None
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            raise ExpressionError(text, "unexpected end of expression") from None
        expected = sorted(_describe(t) for t in exc.expected)[:6]
        raise ExpressionError(
            text,
            f"unexpected {str(exc.token)!r}; expected one of: {', '.join(expected)}",
            exc.column,
        ) from None
    except UnexpectedCharacters as exc:
        pos = int(getattr(exc, "pos_in_stream", 0) or 0)
        raise ExpressionError(text, f"unexpected character {text[pos]!r}", exc.column) from None
    except UnexpectedEOF:
        raise ExpressionError(text, "unexpected end of expression") from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark errors
        raise ExpressionError(text, "syntax error", getattr(exc, "column", None)) from None
    except Exception as exc:  # lark may wrap transformer errors
        inner = getattr(exc, "orig_exc", exc)
        if isinstance(inner, _Bad):
            raise ExpressionError(text, inner.message, inner.column, inner.suggestion) from None
        raise
    return node


def shorten(text: str, limit: int = 200) -> str:
    """``text`` as an error message quotes it: long input is cut (an error never echoes it all)."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def children(node: Node) -> tuple[Node, ...]:
    """The operands of ``node``, in order."""
    if isinstance(node, BinOp | Compare):
        return (node.left, node.right)
    if isinstance(node, Neg | Not | IsNull | Like):
        return (node.operand,)
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, InList):
        return (node.operand, *node.values)
    if isinstance(node, Between):
        return (node.operand, node.low, node.high)
    if isinstance(node, Func):
        return node.args
    if isinstance(node, Case):
        parts = [part for when in node.whens for part in when]
        return (*parts, node.default) if node.default is not None else tuple(parts)
    return ()


def depth(node: Node) -> int:
    """How deeply ``node`` nests (1 for a name or a literal); computed without recursion."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(current))
    return deepest


#: Nodes whose value is never true or false: a number, a text, a date, arithmetic.
_NEVER_CONDITIONS = (BinOp, Neg)
#: Functions whose value is never true or false.
_VALUE_FUNCTIONS = frozenset(FUNCTIONS) - {"coalesce", "nullif", "if", "greatest", "least"}
CONDITION_EXAMPLE = "a condition such as region = 'EU' or amount > 100"


def check_condition(node: Node, text: str) -> None:
    """Refuse an expression that can never be a condition (true or false) as a filter.

    ``region`` (a bare name) may be a boolean column and is checked by the engine, once its
    type is known; ``1``, ``'EU'``, ``amount * 2`` or ``lower(name)`` never are.
    """
    what: str | None = None
    if isinstance(node, Literal) and not isinstance(node.value, bool):
        what = "null" if node.value is None else f"a {_kind(node.value)}"
    elif isinstance(node, _NEVER_CONDITIONS):
        what = "a calculation"
    elif isinstance(node, Func) and node.name in _VALUE_FUNCTIONS:
        what = f"the value of {node.name}()"
    if what is not None:
        raise ExpressionError(text, f"{what} is not a condition; expected {CONDITION_EXAMPLE}")


def _kind(value: object) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.date):
        return "date"
    return "number"


def parse_condition(text: str) -> Node:
    """Parse a filter: :func:`parse`, then :func:`check_condition`."""
    node = parse(text)
    check_condition(node, text)
    return node


def all_of(*filters: str | None) -> str | None:
    """Conditions that must all hold, as one filter (None when none is given).

    Each is parsed on its own first (:func:`parse_condition`; its error names its own text and
    column): only a whole condition is put in parentheses, so no text can close them and widen
    the others (``x = x) or (x = x`` drilled a KPI's segment out of its own filter)."""
    kept = [f for f in filters if f]
    for text in kept:
        parse_condition(text)
    if len(kept) <= 1:
        return kept[0] if kept else None
    return " and ".join(f"({f})" for f in kept)


_TERMINALS = {
    "COMP": "a comparison",
    "ADDOP": "'+' or '-'",
    "MULOP": "'*', '/' or '%'",
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a 'string'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "DOT": "'.'",
    "MINUS": "'-'",
}


def _describe(terminal: str) -> str:
    if terminal in _TERMINALS:
        return _TERMINALS[terminal]
    return terminal.lstrip("_").lower()


def names(node: Node) -> list[Name]:
    """Every name the expression refers to, in order of appearance."""
    found: list[Name] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            found.append(current)
        stack.extend(reversed(children(current)))
    return found


if __name__ == "__main__":  # python -m onpace.catalog.expr: write the parser's tables
    from pathlib import Path

    target = Path(__file__).with_name("expr_tables.py")
    target.write_text(tables_source(), encoding="utf-8")
    print(f"wrote {target}")
