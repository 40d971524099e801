"""Compile the expression language's trees into ibis expressions.

Names are looked up through a resolver supplied by the caller, so the same
compiler serves dimension expressions, measures, metric filters and query
filters. Literals become typed ibis literals, quoted by the SQL generator of
each backend: user text is never pasted into a query.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.common.annotations import ValidationError
from ibis.common.exceptions import IbisError

from onpace.catalog import expr as ast
from onpace.errors import OnpaceError, QueryError

Resolver = Callable[[ast.Name], Any]


def compile_expr(node: ast.Node, resolve: Resolver, text: str | None = None) -> Any:
    """The ibis expression of ``node``; a type error (``lower(amount)``, ``region - 1``) is a QueryError.

    ``text``: the expression as written, named in the error.
    """
    try:
        return _Compiler(resolve).visit(node)
    except _NodeError as exc:
        where = f" in expression {ast.shorten(text)!r}" if text is not None else ""
        raise QueryError(f"{exc}{where}") from None
    except RecursionError:
        where = f" {ast.shorten(text)!r}" if text is not None else ""
        raise QueryError(f"the expression{where} is nested too deeply to compile") from None


def compile_condition(node: ast.Node, resolve: Resolver, text: str, what: str = "filter") -> Any:
    """Like :func:`compile_expr`, for a filter: its value must be true or false (a boolean).

    ``what`` names it in the error ("filter", "where").
    """
    ast.check_condition(node, text)
    value = compile_expr(node, resolve, text)
    dtype = value.type() if isinstance(value, ir.Value) else None
    if dtype is None or not dtype.is_boolean():
        raise QueryError(
            f"{what} {ast.shorten(text)!r} is {_type_name(dtype)}, not a condition; expected {ast.CONDITION_EXAMPLE}"
        )
    return value


class _NodeError(Exception):
    """A node the backend types refuse; its message says which operation and why."""


_OPERATIONS: dict[type, str] = {
    ast.BinOp: "operator",
    ast.Compare: "comparison",
    ast.Neg: "unary '-'",
    ast.Not: "'not'",
    ast.BoolOp: "",
    ast.IsNull: "'is null'",
    ast.InList: "'in'",
    ast.Between: "'between'",
    ast.Like: "'like'",
    ast.Case: "'case'",
}


def _operation(node: ast.Node) -> str:
    if isinstance(node, ast.Func):
        return f"function {node.name}()"
    if isinstance(node, (ast.BinOp, ast.Compare)):
        return f"{_OPERATIONS[type(node)]} '{node.op}'"
    if isinstance(node, ast.BoolOp):
        return f"'{node.op}'"
    return _OPERATIONS.get(type(node), "expression")


def _type_name(dtype: Any) -> str:
    if dtype is None:
        return "not a value"
    return f"of type {dtype}"


_NOT_COMPARABLE = re.compile(r"Arguments .*?:(\w+) and .*?:(\w+) are not comparable")
_IBIS_CLASS = re.compile(r"'?\b([A-Z][a-z]+)(?:Column|Scalar|Value)\b'?")


def _reason(exc: Exception) -> str:
    """Why ibis refused an operation, in words (never a dump of its expression tree)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, AttributeError):
        found = _IBIS_CLASS.search(text)
        return f"it does not apply to {found.group(1).lower() + ' values' if found else 'these values'}"
    compared = _NOT_COMPARABLE.search(text)
    if compared:
        return f"a value of type {compared.group(1)} cannot be compared with one of type {compared.group(2)}"
    if "<ibis." in text or ":=" in text or "__" in text or len(text) > 200 or not text:
        return "it does not accept the types of its operands"
    return _IBIS_CLASS.sub(lambda m: m.group(1).lower(), text)


class _Compiler:
    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve

    def visit(self, node: ast.Node) -> Any:
        method = getattr(self, "_" + type(node).__name__.lower())
        try:
            return method(node)
        except (_NodeError, OnpaceError, RecursionError):
            raise
        except (IbisError, ValidationError, TypeError, AttributeError, ValueError) as exc:
            # a type the operation does not take (ibis checks them while building)
            raise _NodeError(f"{_operation(node)}: {_reason(exc)}") from None

    def _name(self, node: ast.Name) -> Any:
        return self.resolve(node)

    def _literal(self, node: ast.Literal) -> Any:
        if node.value is None:
            return ibis.null()
        return ibis.literal(node.value)

    def _binop(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if node.op == "/":
            # division by zero gives null, the same on every backend
            return left.cast("float64") / _nullif_zero(right)
        return left % right

    def _neg(self, node: ast.Neg) -> Any:
        return -self.visit(node.operand)

    def _not(self, node: ast.Not) -> Any:
        return ~self.visit(node.operand)

    def _boolop(self, node: ast.BoolOp) -> Any:
        parts = [self.visit(o) for o in node.operands]
        out = parts[0]
        for part in parts[1:]:
            out = (out & part) if node.op == "and" else (out | part)
        return out

    def _compare(self, node: ast.Compare) -> Any:
        left = self.visit(node.left)
        right = self.visit(node.right)
        left, right = _align(left, node.left, right, node.right)
        ops = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        return ops[node.op](left, right)

    def _isnull(self, node: ast.IsNull) -> Any:
        value = self.visit(node.operand)
        return value.notnull() if node.negate else value.isnull()

    def _inlist(self, node: ast.InList) -> Any:
        value = self.visit(node.operand)
        items = []
        for item in node.values:
            compiled = self.visit(item)
            _, compiled = _align(value, node.operand, compiled, item)
            items.append(compiled)
        result = value.isin(items)
        return ~result if node.negate else result

    def _between(self, node: ast.Between) -> Any:
        value = self.visit(node.operand)
        _, low = _align(value, node.operand, self.visit(node.low), node.low)
        _, high = _align(value, node.operand, self.visit(node.high), node.high)
        result = value.between(low, high)
        return ~result if node.negate else result

    def _like(self, node: ast.Like) -> Any:
        result = self.visit(node.operand).like(node.pattern)
        return ~result if node.negate else result

    def _case(self, node: ast.Case) -> Any:
        builder = ibis.cases(
            *[(self.visit(c), self.visit(v)) for c, v in node.whens],
            else_=self.visit(node.default) if node.default is not None else None,
        )
        return builder

    def _func(self, node: ast.Func) -> Any:
        args = [self.visit(a) for a in node.args]
        name = node.name
        if name == "abs":
            return args[0].abs()
        if name == "round":
            return _round_half_away(args[0], _round_digits(node))
        if name == "floor":
            return args[0].floor()
        if name == "ceil":
            return args[0].ceil()
        if name == "coalesce":
            return ibis.coalesce(*args)
        if name == "nullif":
            return args[0].nullif(args[1])
        if name == "greatest":
            return ibis.greatest(*_skipping_nulls(args))
        if name == "least":
            return ibis.least(*_skipping_nulls(args))
        if name == "lower":
            return args[0].lower()
        if name == "upper":
            return args[0].upper()
        if name == "trim":
            return args[0].strip()
        if name == "length":
            return args[0].length()
        if name == "concat":
            out = args[0].cast("string")
            for a in args[1:]:
                out = out.concat(a.cast("string"))
            return out
        if name == "year":
            return args[0].year()
        if name == "month":
            return args[0].month()
        if name == "day":
            return args[0].day()
        if name == "quarter":
            return args[0].quarter()
        if name == "if":
            return ibis.ifelse(args[0], args[1], args[2])
        raise QueryError(f"function '{name}' is not supported")  # pragma: no cover - parser checks names


def _round_digits(node: ast.Func) -> int:
    """The ``n`` of ``round(x, n)``: a whole number written in the expression (``-1``: tens)."""
    if len(node.args) < 2:
        return 0
    arg = node.args[1]
    negative = isinstance(arg, ast.Neg)
    if isinstance(arg, ast.Neg):
        arg = arg.operand
    value = arg.value if isinstance(arg, ast.Literal) else None
    if not isinstance(value, int) or isinstance(value, bool) or value > 30:
        raise QueryError("round(x, n): n must be a whole number between -30 and 30, written as a number")
    return -value if negative else value


def _round_half_away(value: Any, digits: int) -> Any:
    """``value`` rounded to ``digits`` decimals, half away from zero (2.5 -> 3, -2.5 -> -3), as a float64.

    Every engine rounds an exact type (decimal) half away from zero, so a decimal is rounded in
    its own type, exactly. A float is rounded by the same floating-point arithmetic on every
    engine, since PostgreSQL and MariaDB round a float half to even (2.5 -> 2) and DuckDB and
    Spark half away from zero: with v = |x| * 10^n and f = floor(v), the result is
    sign(x) * (f + (1 if v - f >= 0.5 else 0)) / 10^n (v - f is exact; v + 0.5 is not).
    """
    if isinstance(value, ir.Value) and value.type().is_null():
        value = value.cast("float64")
    if not isinstance(value, ir.NumericValue) or value.type().is_boolean():
        raise _NodeError(f"function round(): it does not apply to {value.type()} values")
    dtype = value.type()
    if dtype.is_decimal() and digits >= 0:
        if dtype.precision is None or dtype.scale is None:
            # an unconstrained decimal (PostgreSQL's numeric): ibis needs a precision to round it
            value = value.cast("decimal(38, 18)")
            dtype = value.type()
        if digits >= dtype.scale:
            return value.cast("float64")  # nothing to round (and ROUND's declared type could overflow)
        return value.round(digits).cast("float64")
    x = value.cast("float64")
    if dtype.is_integer() and digits >= 0:
        return x
    scale = ibis.literal(float(10 ** abs(digits)), type="float64")
    v = x.abs() * scale if digits >= 0 else x.abs() / scale
    whole = v.floor().cast("float64")
    up = whole + ibis.ifelse(v - whole >= 0.5, 1.0, 0.0)
    # sign(x) * up is -0.0 when x < 0 rounds to 0: adding 0.0 makes it 0.0
    signed = x.sign().cast("float64") * (up / scale if digits >= 0 else up * scale) + 0.0
    # from 2^52 a float has no fraction left to round (and floor would overflow an int64)
    return ibis.ifelse(v >= 2.0**52, x, signed)


def _skipping_nulls(args: list[Any]) -> list[Any]:
    """The arguments of greatest/least so that a null one is skipped on every engine (null only
    when all are): each becomes ``coalesce(itself, the others…)``, one of the non-null values.

    DuckDB, PostgreSQL and Spark skip nulls; MySQL and MariaDB return null if any is null.
    """
    if len(args) < 2:
        return args
    return [ibis.coalesce(arg, *args[:i], *args[i + 1 :]) for i, arg in enumerate(args)]


def _nullif_zero(value: Any) -> Any:
    return ibis.ifelse(value == 0, ibis.null("float64"), value.cast("float64"))


def _is_temporal(value: Any) -> bool:
    return isinstance(value, ir.Value) and (value.type().is_date() or value.type().is_timestamp())


def _align(left: Any, left_node: ast.Node, right: Any, right_node: ast.Node) -> tuple[Any, Any]:
    """Let a string literal stand for a date when compared with a date ('2024-01-31')."""
    if _is_temporal(left) and isinstance(right_node, ast.Literal) and isinstance(right_node.value, str):
        right = ibis.literal(_to_date(right_node.value))
    if _is_temporal(right) and isinstance(left_node, ast.Literal) and isinstance(left_node.value, str):
        left = ibis.literal(_to_date(left_node.value))
    return left, right


def _to_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None
