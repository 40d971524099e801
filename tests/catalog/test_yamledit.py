"""Adding and removing one list item of a definitions file keeps everything else as it was written."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from onpace.catalog.yamledit import append_item, remove_item
from onpace.errors import UserError

GOALS = textwrap.dedent(
    """\

    # Goals of the shop: reviewed every Monday.
    objectives:
      - {name: grow, owner: CEO}   # the one that matters

    kpis:
      # revenue first
      - name: q_revenue
        metric: revenue
        label: "Revenue, this quarter"
        owner: 'Sales'
        target: {at_least: 2700}  # the board's number
      # the one to remove: its comment goes with it
      - name: q_growth
        metric: revenue
        owner: Sales
        description: >-
          Growth against the quarter before,
          folded.
        target: {change: "+10%", vs: previous_period}
      - name: lateness
        metric: late_rate
        owner: "yes"
        target: {at_most: 0.1}

    # Reviews live in the store.
    """
)


def test_removing_an_item_keeps_every_other_line() -> None:
    after = remove_item(GOALS, "models/goals.yml", "kpis", 1, "q_growth", "KPI")
    lines = GOALS.splitlines()
    first = lines.index("  # the one to remove: its comment goes with it")
    last = lines.index("  - name: lateness")
    assert after.splitlines() == lines[:first] + lines[last:]


def test_removing_the_last_item_keeps_the_comments_after_it() -> None:
    after = remove_item(GOALS, "models/goals.yml", "kpis", 2, "lateness", "KPI")
    lines = GOALS.splitlines()
    first = lines.index("  - name: lateness")
    assert after.splitlines() == lines[:first] + lines[first + 4 :]
    assert after.endswith("\n# Reviews live in the store.\n")


def test_removing_the_only_item_leaves_an_empty_list() -> None:
    text = "# mine\nkpis:\n  - name: only  # soon gone\n    metric: revenue\nobjectives: []\n"
    after = remove_item(text, "f.yml", "kpis", 0, "only", "KPI")
    assert after == "# mine\nkpis: []\nobjectives: []\n"


@pytest.mark.parametrize(
    ("text", "index", "name", "message"),
    [
        ("kpis: [{name: a}, {name: b}]\n", 1, "b", "the KPIs of f.yml are written inline"),
        ("kpis:\n  - name: a\n", 1, "a", "KPI 'a' was not found where f.yml lists its KPIs"),
        ("kpis:\n  - name: a\n", 0, "b", "KPI 'b' was not found where f.yml lists its KPIs"),
        ("metrics: []\n", 0, "a", "KPI 'a' was not found"),
    ],
)
def test_what_cannot_be_removed_is_refused(text: str, index: int, name: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        remove_item(text, "f.yml", "kpis", index, name, "KPI")


def test_appending_keeps_the_file_and_quotes_what_pyyaml_would_misread() -> None:
    text = "# promoted by hand too\nkpis:\n  - name: a   # keep me\n    owner: 'Ops'\n"
    item = {"name": "b", "owner": "yes", "code": "007", "target": {"change": "+5%", "vs": "previous_period"}}
    after = append_item(text, "f.yml", "kpis", item)
    assert after == (
        "# promoted by hand too\n"
        "kpis:\n"
        "  - name: a   # keep me\n"
        "    owner: 'Ops'\n"
        "  - name: b\n"
        "    owner: 'yes'\n"
        "    code: '007'\n"
        "    target:\n"
        "      change: +5%\n"
        "      vs: previous_period\n"
    )
    assert yaml.safe_load(after)["kpis"][1] == item  # read back by the loader as written


def test_appending_to_an_empty_or_missing_list() -> None:
    item = {"name": "b", "metric": "visits"}
    assert append_item("kpis: []\n", "f.yml", "kpis", item) == "kpis:\n  - name: b\n    metric: visits\n"
    assert append_item("# head\nkpis:\n", "f.yml", "kpis", item) == "# head\nkpis:\n  - name: b\n    metric: visits\n"
    assert append_item("", "f.yml", "kpis", item) == "kpis:\n  - name: b\n    metric: visits\n"


def test_a_document_start_and_a_list_written_without_indent_are_kept() -> None:
    text = "---\nkpis:\n- name: a\n  metric: m\n- name: b\n  metric: m\n"
    assert remove_item(text, "f.yml", "kpis", 0, "a", "KPI") == "---\nkpis:\n- name: b\n  metric: m\n"


SPACED = textwrap.dedent(
    """\
    kpis:
      # about a
      - name: a
        target:
          at_least: 1

      # about b
      - name: b
        target: {at_least: 2}
      # about c
      - name: c
        target: {at_least: 3}  # c's own

      - name: d
        tags: [x, y]
    other: 1
    """
)


@pytest.mark.parametrize(
    ("index", "name", "gone"),
    [
        (0, "a", ["  - name: a", "    target:", "      at_least: 1"]),  # the comment above the list's head stays
        (1, "b", ["", "  # about b", "  - name: b", "    target: {at_least: 2}"]),
        (2, "c", ["  # about c", "  - name: c", "    target: {at_least: 3}  # c's own"]),
        (3, "d", ["", "  - name: d", "    tags: [x, y]"]),
    ],
)
def test_an_item_takes_the_lines_above_it_and_leaves_those_below(index: int, name: str, gone: list[str]) -> None:
    after = remove_item(SPACED, "f.yml", "kpis", index, name, "KPI").splitlines()
    lines = SPACED.splitlines()
    start = next(i for i in range(len(lines)) if lines[i : i + len(gone)] == gone)
    assert after == lines[:start] + lines[start + len(gone) :]
