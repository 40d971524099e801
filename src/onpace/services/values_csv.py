"""How a values CSV is written: the separator between its cells and the decimal mark of its numbers.

A spreadsheet saves CSV in the conventions of its locale: ``metric,period,value`` with
``1250.5`` (a decimal point), or, where the comma is the decimal mark (most of Europe),
``metric;period;value`` with ``1250,5`` or ``1.250,5``. :func:`separator_of` finds the
separator from the header row, whose column names are known; :func:`decimal_reading` finds
the decimal mark from the values themselves:

- a value that can be read one way only shows the mark: ``12,5``, ``0,85`` and ``1.234,5``
  a decimal comma; ``12.5``, ``0.85``, ``1,234.5`` and ``1,234,567`` a decimal point;
- ``12,500`` and ``1.234`` can be read both ways (twelve and a half or twelve thousand five
  hundred): the other values of the file decide, and when none does, the value is refused
  as ambiguous, naming how to say which (``--decimal comma`` or ``--decimal point``);
- in a file separated by commas the decimal mark is the point (a decimal comma would need
  quotes around every number): ``1.234`` is 1.234 there, and a quoted ``"1,5"`` is no number
  unless ``--decimal comma`` says so; ``"12,500"`` is still ambiguous;
- values showing different marks in one file are refused (one of them is misread).

The other mark, when a number has it, separates thousands (in groups of three digits).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import Literal

Mark = Literal["point", "comma"]
Kind = Literal["point", "comma", "ambiguous", "none"]

SEPARATORS = (",", ";", "\t")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
MARKS: tuple[Mark, ...] = ("point", "comma")
_CHAR: dict[Mark, str] = {"point": ".", "comma": ","}


def separator_of(text: str, columns: tuple[str, ...]) -> str:
    """The separator of the CSV ``text``: the one that splits its header row into the most known ``columns``.

    The header is the first row that is not blank; with no known column at all, a comma.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    best, found = ",", 0
    for sep in SEPARATORS:
        cells = next(csv.reader([header], delimiter=sep), [])
        known = sum(1 for cell in cells if cell.strip().lower() in columns)
        if known > found:
            best, found = sep, known
    return best


def shown(separator: str) -> str:
    """A separator as a message names it."""
    return "a tab" if separator == "\t" else f"'{separator}'"


# -- the decimal mark ------------------------------------------------------------------------------

_DIGITS_AND_MARKS = re.compile(r"[\d.,]+")
_LEAD = r"[1-9]\d{0,2}"  # the first group of a number with thousands separators


def kind_of(text: str) -> Kind:
    """What the marks of a number say about the decimal mark.

    ``point`` or ``comma`` when it can be read one way only, ``ambiguous`` for one mark
    followed by exactly three digits after one to three digits (``12,500``, ``1.234``),
    ``none`` when it has no mark or is no number of digits and marks at all.
    """
    body = text.strip().lstrip("+-")
    if not _DIGITS_AND_MARKS.fullmatch(body) or not any(c.isdigit() for c in body):
        return "none"
    commas, points = body.count(","), body.count(".")
    if commas and points:
        if body.rfind(",") > body.rfind("."):
            return "comma" if re.fullmatch(rf"{_LEAD}(?:\.\d{{3}})+,\d*", body) else "none"
        return "point" if re.fullmatch(rf"{_LEAD}(?:,\d{{3}})+\.\d*", body) else "none"
    if not commas and not points:
        return "none"
    pair: tuple[Mark, Mark] = ("comma", "point") if commas else ("point", "comma")
    mark, other = pair
    char = _CHAR[mark]
    if body.count(char) > 1:  # only thousands are grouped more than once
        return other if re.fullmatch(rf"{_LEAD}(?:{re.escape(char)}\d{{3}})+", body) else "none"
    if re.fullmatch(rf"{_LEAD}{re.escape(char)}\d{{3}}", body):
        return "ambiguous"
    return mark


def plain_number(text: str, mark: Mark) -> str | None:
    """``text`` in the form ``float()`` reads (no thousands separators, a decimal point), read with ``mark``.

    A number without either mark is given back as it is (``1e3``, ``inf``: the caller judges
    it); None when the marks do not fit ``mark`` (``1,5`` with a decimal point).
    """
    stripped = text.strip()
    if "," not in stripped and (mark == "point" or "." not in stripped):
        return stripped
    sign = stripped[0] if stripped[:1] in ("+", "-") else ""
    body = stripped[len(sign) :]
    decimal, thousands = (".", ",") if mark == "point" else (",", ".")
    t, d = re.escape(thousands), re.escape(decimal)
    if not re.fullmatch(rf"(?:{_LEAD}(?:{t}\d{{3}})+|\d*)(?:{d}\d*)?", body) or not any(c.isdigit() for c in body):
        return None
    return sign + body.replace(thousands, "").replace(decimal, ".")


@dataclass(frozen=True)
class Names:
    """How an interface names the decimal mark and the separator it takes: ``--decimal comma`` and
    ``--delimiter`` on the command line, ``decimal=comma`` and ``delimiter`` as form fields."""

    decimal_form: str  # with {} for the mark
    delimiter: str

    def decimal(self, mark: Mark) -> str:
        return self.decimal_form.format(mark)


CLI_NAMES = Names("--decimal {}", "--delimiter")
FORM_NAMES = Names("decimal={}", "delimiter")


@dataclass(frozen=True)
class DecimalReading:
    """How the numbers of one file are read: with ``mark``, named (``given``) or found in the values.

    ``first``: the first value (line, text) that shows each mark, for the messages.
    """

    mark: Mark
    given: bool
    separator: str
    first: dict[Mark, tuple[int, str]] = field(default_factory=dict)
    names: Names = field(default_factory=lambda: CLI_NAMES)  # how the messages name the options

    def problem(self, text: str) -> tuple[str, str] | None:
        """(message, expected) when ``text`` cannot be read with this file's mark; None when it can."""
        kind = kind_of(text)
        if not self.given and kind in MARKS and kind != self.mark and kind in self.first:
            line, value = self.first[self.mark]
            return (
                f"'{text}' has a decimal {kind}, but line {line} ('{value}') has a decimal {self.mark}",
                f"one decimal mark in the whole file (or name it: {self.names.decimal('comma')} or "
                f"{self.names.decimal('point')})",
            )
        if not self.given and kind == "ambiguous" and not self.first and not self._point_by_default(text):
            word: Mark = "comma" if "," in text else "point"
            other: Mark = "point" if word == "comma" else "comma"
            return (
                f"'{text}' is ambiguous: {_shown_number(plain_number(text, word))} with a decimal {word}, or "
                f"{_shown_number(plain_number(text, other))} with a {word} between thousands, and no other value "
                f"of the file shows which (its cells are separated by {shown(self.separator)})",
                f"the decimal mark named: {self.names.decimal('comma')} or {self.names.decimal('point')} (and "
                f"{self.names.delimiter} if the cells are separated by something else)",
            )
        if plain_number(text, self.mark) is None:
            return f"'{text}' is not a number", _expected(self.mark, self.separator, self.names)
        return None

    def _point_by_default(self, text: str) -> bool:
        """In a file separated by commas, ``1.234`` is 1.234: the point is the decimal mark there."""
        return self.separator == "," and "." in text


def decimal_reading(
    values: list[tuple[int, str]], separator: str, given: Mark | None = None, names: Names | None = None
) -> DecimalReading:
    """The decimal mark of a file whose value cells are ``values`` (line, text): ``given``, else found in them;
    ``names``: how the messages name the options (the command's, else another interface's)."""
    names = names or CLI_NAMES
    if given is not None:
        return DecimalReading(given, True, separator, names=names)
    first: dict[Mark, tuple[int, str]] = {}
    for line, text in values:
        kind = kind_of(text)
        if kind == "comma" and separator == ",":
            continue  # no decimal commas are guessed in a file separated by commas
        if kind in MARKS and kind not in first:
            first[kind] = (line, text.strip())
    if not first:
        return DecimalReading("point", False, separator, names=names)
    mark = min(first, key=lambda k: first[k][0])  # the mark of the first value that shows one
    return DecimalReading(mark, False, separator, first, names)


def _expected(mark: Mark, separator: str, names: Names) -> str:
    if mark == "comma":
        return "a number with a decimal comma such as 1250 or 0,85 (a point, if any, between thousands: 1.250,5)"
    text = "a number such as 1250 or 0.85, with a dot for decimals (a comma, if any, between thousands: 1,250.5)"
    if separator == ",":
        text += f"; a file with decimal commas: {names.decimal('comma')}"
    return text


def _shown_number(text: str | None) -> str:
    if text is None:
        return "?"
    number = float(text)
    return f"{number:g}" if abs(number) < 1e15 else text
