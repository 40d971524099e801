"""Item 12 of issue 13: a bad `where` (or a definition's `filter:`) is a clear user error, never a 500 or a traceback.

`where=region` (a string, not a condition), `where=1` (ibis refused it with a SignatureValidationError
dump) and a `where` of ~490 unary minus signs (a RecursionError in the parser) answered 500 on the
API and printed a traceback in the CLI. Every filter is now type-checked (statically where the
expression can never be true or false, and by the engine once the column types are known), its
length and nesting depth are bounded before it is compiled, and what ibis refuses while compiling
a user's expression is a located QueryError.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.api.conftest import Site
from typer.testing import CliRunner

from onpace.catalog.expr import MAX_DEPTH, ExpressionError, parse
from onpace.catalog.project import load_project
from onpace.cli.main import app as cli
from onpace.engine import Engine, Query
from onpace.errors import DefinitionError, QueryError

# the issue's input: ~490 unary minus signs (before a column, so they are not folded), within the API's 500 characters
DEEP = "-" * 486 + "l_quantity>0"
DEEP_SPACED = "- " * 240 + "region = 'EUROPE'"

# (where, words the answer must hold)
BAD_WHERES = [
    ("region", ["where 'region'", "string", "not a condition"]),
    ("1", ["number", "not a condition", "'1'"]),
    ("region || 1", ["unexpected"]),
    ("lower(region)", ["lower()", "not a condition"]),
    ("region > 1", ["comparison '>'", "cannot be compared", "region > 1"]),
    ("not region", ["'not'", "region"]),
    (DEEP, ["nested", f"at most {MAX_DEPTH}"]),
    (DEEP_SPACED, ["nested", f"at most {MAX_DEPTH}"]),
]
INTERNALS = ("Traceback", "ibis.", "SignatureValidationError", "RecursionError", "__d_", "<ibis")


def _clean(text: str) -> None:
    for word in INTERNALS:
        assert word not in text, f"{word!r} leaked into: {text[:500]}"


@pytest.mark.parametrize(("where", "words"), BAD_WHERES, ids=[w[:20] for w, _ in BAD_WHERES])
@pytest.mark.parametrize("by", [None, "ship_mode"], ids=["over_time", "breakdown"])
def test_a_bad_where_is_a_400_that_says_why(site: Site, where: str, words: list[str], by: str | None) -> None:
    client = site.login("viewer")
    params = {"where": where, "grain": "month"}
    if by:
        params["by"] = by
    answer = client.get("/api/metrics/revenue/observations", params=params)
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    for word in words:
        assert word in detail, detail
    _clean(answer.text)
    assert len(answer.text) < 2000  # the input is quoted shortened, never echoed whole


def test_a_good_where_still_answers(site: Site) -> None:
    client = site.login("viewer")
    answer = client.get(
        "/api/metrics/revenue/observations", params={"where": "region = 'EUROPE' and - - l_quantity > 0"}
    )
    assert answer.status_code == 200, answer.text
    assert any(row["value"] for row in answer.json()["rows"])


@pytest.mark.parametrize(
    ("where", "words"), BAD_WHERES[:2] + BAD_WHERES[4:7], ids=["region", "1", "cmp", "not", "deep"]
)
def test_the_cli_says_why_without_a_traceback(site: Site, where: str, words: list[str]) -> None:
    result = CliRunner().invoke(cli, ["query", "revenue", "--where", where, "--project", str(site.root)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an exception escaping the command
    output = " ".join(result.output.split())  # Rich wraps long lines
    assert "error:" in output
    for word in words:
        assert " ".join(word.split()) in output, output
    _clean(result.output)


def test_the_depth_and_length_are_bounded_before_compiling() -> None:
    with pytest.raises(ExpressionError, match="nested 1001 levels deep"):
        parse("not " * 1000 + "x")  # the parser itself does not recurse: no RecursionError, however deep
    with pytest.raises(ExpressionError, match="characters long"):
        parse("x = 1 or " * 5000 + "x = 2")
    assert parse("- " * (MAX_DEPTH - 1) + "x") is not None  # the limit itself is accepted


def test_a_filter_that_is_not_a_condition_is_a_located_definition_error(site: Site) -> None:
    path = site.root / "models" / "bad_filters.yml"
    path.write_text(
        "metrics:\n"
        "  - name: filtered_by_a_number\n"
        "    measure: line_items.revenue\n"
        "    filter: '1'\n"
        "  - name: filtered_too_deep\n"
        "    measure: line_items.revenue\n"
        f'    filter: "{"- " * 100}l_quantity > 0"\n',
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as caught:
        load_project(site.root)
    issues = caught.value.issues
    assert {Path(i.file or "").name for i in issues} == {"bad_filters.yml"}, issues
    by_line = {i.line: str(i) for i in issues}
    assert set(by_line) == {4, 7}, by_line
    assert "filter" in by_line[4] and "number is not a condition" in by_line[4]
    assert "filter" in by_line[7] and "nested 102 levels deep" in by_line[7]


def test_a_filter_of_the_wrong_type_fails_its_query_with_a_user_error(site: Site) -> None:
    # `filter: region` is a string: caught by the engine once the types are known, as a QueryError naming it
    (site.root / "models" / "typed_filter.yml").write_text(
        "metrics:\n  - name: filtered_by_a_string\n    measure: line_items.revenue\n    filter: region\n",
        encoding="utf-8",
    )
    project = load_project(site.root)
    with Engine(project) as engine, pytest.raises(QueryError, match="filter 'region' is of type string"):
        engine.query(Query(metrics=["filtered_by_a_string"], grain="year"))
