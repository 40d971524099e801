"""KPI reviews on the shop (see conftest.py): recording, the checks, the overdue rule and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onpace.catalog.project import Project, load_project
from onpace.cli.main import app
from onpace.errors import QueryError, UserError
from onpace.services import reviews as service
from onpace.services.findings import Finding
from onpace.services.reviews import history, overdue, record_review, review_dict
from onpace.store import audit, evaluations
from onpace.store import reviews as stored
from onpace.store.db import Store

runner = CliRunner()
T0 = dt.datetime(2025, 4, 10, 12, tzinfo=dt.UTC)
# every KPI instance of the shop: by_region has targets for two regions
INSTANCES = {
    "q_revenue",
    "q_growth",
    "q1_done",
    "lateness",
    "nowhere",
    "later",
    "by_region [NORTH]",
    "by_region [SOUTH]",
}


@pytest.fixture
def project(shop: Path) -> Project:
    return load_project(shop)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def _evaluate(store: Store, kpi: str, period_start: dt.date, at: dt.datetime, segment: str = "") -> None:
    with store.session() as s:
        evaluations.add_evaluation(
            s,
            kpi=kpi,
            segment=segment,
            as_of=period_start,
            period_start=period_start,
            period_end=period_start + dt.timedelta(days=27),
            status="on_track",
            evaluated_at=at,
        )


def _findings(project: Project, store: Store, today: dt.date) -> dict[str, Finding]:
    found = overdue(project, store, today)
    assert all((f.rule, f.severity, f.kind) == ("review_overdue", "warning", "kpi") for f in found)
    return {f.name: f for f in found}


# -- recording -------------------------------------------------------------------------------------


def test_a_review_is_recorded_with_its_audit_entry(project: Project, store: Store) -> None:
    _evaluate(store, "lateness", dt.date(2025, 3, 1), T0 - dt.timedelta(days=30))
    _evaluate(store, "lateness", dt.date(2025, 4, 1), T0)  # the latest: the period reviewed
    before = dt.datetime.now(dt.UTC)
    review = record_review(
        project,
        store,
        "lateness",
        reviewer="alice",
        assessment="at_risk",
        commentary="  South ships late in the first week.  ",
        actions=["ask the SOUTH warehouse why", " ", "review again next week"],
    )
    assert (review.kpi, review.segment, review.reviewer, review.assessment) == ("lateness", "", "alice", "at_risk")
    assert review.commentary == "South ships late in the first week."
    assert review.actions == ["ask the SOUTH warehouse why", "review again next week"]
    assert review.period_start == dt.date(2025, 4, 1)
    assert before - dt.timedelta(seconds=1) <= review.reviewed_at <= dt.datetime.now(dt.UTC)

    with store.session(readonly=True) as s:
        last = stored.last_review(s, "lateness")
        [entry] = audit.list_audit(s, action="kpi.review")
    assert last is not None and last.id == review.id
    assert (entry.actor, entry.object_kind, entry.object_name) == ("alice", "kpi", "lateness")
    assert entry.details == {
        "review_id": review.id,
        "segment": "",
        "assessment": "at_risk",
        "period_start": "2025-04-01",
    }
    assert review_dict(review) == {
        "id": review.id,
        "kpi": "lateness",
        "segment": None,
        "reviewed_at": review.reviewed_at.isoformat(),
        "reviewer": "alice",
        "assessment": "at_risk",
        "commentary": "South ships late in the first week.",
        "actions": ["ask the SOUTH warehouse why", "review again next week"],
        "period_start": "2025-04-01",
    }


def test_a_kpi_never_evaluated_is_reviewed_without_a_period(project: Project, store: Store) -> None:
    review = record_review(
        project, store, "later", reviewer="bob", assessment="on_track", commentary="not started", actions=()
    )
    assert review.period_start is None
    assert review.actions == []


def test_a_segment_is_reviewed_with_its_own_period(project: Project, store: Store) -> None:
    _evaluate(store, "by_region", dt.date(2025, 4, 1), T0, segment="NORTH")
    _evaluate(store, "by_region", dt.date(2025, 1, 1), T0 - dt.timedelta(days=90), segment="SOUTH")
    north = record_review(
        project, store, "by_region", reviewer="a", assessment="at_risk", commentary="c", actions=(), segment="NORTH"
    )
    south = record_review(
        project, store, "by_region", reviewer="a", assessment="missed", commentary="c", actions=(), segment="SOUTH"
    )
    whole = record_review(project, store, "by_region", reviewer="a", assessment="at_risk", commentary="c", actions=())
    assert (north.segment, north.period_start) == ("NORTH", dt.date(2025, 4, 1))
    assert (south.segment, south.period_start) == ("SOUTH", dt.date(2025, 1, 1))
    assert (whole.segment, whole.period_start) == ("", dt.date(2025, 4, 1))  # the newest of its segments
    with store.session(readonly=True) as s:
        assert [e.details["segment"] for e in audit.list_audit(s, action="kpi.review")] == ["", "SOUTH", "NORTH"]


@pytest.mark.parametrize(
    ("kpi", "assessment", "segment", "error", "message"),
    [
        ("latenes", "on_track", None, QueryError, "unknown KPI 'latenes'; did you mean 'lateness'?"),
        ("lateness", "ontrack", None, QueryError, "unknown assessment 'ontrack' (expected one of on_track, at_risk, off_track, achieved, missed); did you mean 'on_track'?"),
        ("by_region", "on_track", "NROTH", QueryError, "KPI 'by_region' has no segment 'NROTH' (its region values with targets: NORTH, SOUTH); did you mean 'NORTH'?"),
        ("by_region", "on_track", "WEST", QueryError, "KPI 'by_region' has no segment 'WEST'"),
        ("lateness", "on_track", "NORTH", UserError, "KPI 'lateness' has no segment_by: review it as a whole"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_nothing_is_written(
    project: Project,
    store: Store,
    kpi: str,
    assessment: str,
    segment: str | None,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error) as raised:
        record_review(
            project, store, kpi, reviewer="a", assessment=assessment, commentary="c", actions=(), segment=segment
        )
    assert message in str(raised.value)
    _nothing_written(store)


def test_a_review_needs_a_comment(project: Project, store: Store) -> None:
    with pytest.raises(UserError, match=r"needs a comment \(commentary in the API, --comment in the CLI\)"):
        record_review(project, store, "lateness", reviewer="a", assessment="on_track", commentary="  ", actions=())
    _nothing_written(store)


def test_the_review_and_its_audit_entry_are_one_transaction(
    project: Project, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(service.audit, "audit", broken)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        record_review(project, store, "lateness", reviewer="a", assessment="on_track", commentary="c", actions=())
    _nothing_written(store)


def _nothing_written(store: Store) -> None:
    with store.session(readonly=True) as s:
        assert stored.list_reviews(s) == []
        assert audit.list_audit(s) == []


def test_history_newest_first_and_unknown_names(project: Project, store: Store) -> None:
    with store.session() as s:
        stored.add_review(s, "lateness", "a", "on_track", "first", reviewed_at=T0)
        stored.add_review(s, "lateness", "a", "at_risk", "second", reviewed_at=T0 + dt.timedelta(days=7))
        stored.add_review(s, "retired_kpi", "a", "missed", "demoted since", reviewed_at=T0)
    assert [r.commentary for r in history(project, store, "lateness")] == ["second", "first"]
    assert [r.commentary for r in history(project, store, limit=2)] == ["second", "demoted since"]  # same time: id
    assert [r.kpi for r in history(project, store, "retired_kpi")] == ["retired_kpi"]  # no longer in the project
    assert history(project, store, "q_revenue") == []  # a KPI never reviewed
    with pytest.raises(QueryError, match="unknown KPI 'q_revenu'; did you mean 'q_revenue'"):
        history(project, store, "q_revenu")


# -- the overdue rule -----------------------------------------------------------------------------


def test_every_kpi_never_reviewed_is_a_finding(project: Project, store: Store) -> None:
    found = _findings(project, store, dt.date(2025, 4, 16))
    assert set(found) == INSTANCES
    assert found["lateness"].message == "never reviewed; it is reviewed weekly"
    assert found["lateness"].suggestion == "onpace review lateness --assessment ... --comment '...'"
    assert found["by_region [NORTH]"].suggestion == (
        "onpace review by_region --segment NORTH --assessment ... --comment '...'"
    )


def test_a_review_is_overdue_after_its_cadence(project: Project, store: Store) -> None:
    review = record_review(
        project, store, "lateness", reviewer="a", assessment="on_track", commentary="fine", actions=()
    )
    day = review.reviewed_at.date()  # in UTC, as the rule compares it

    assert "lateness" not in _findings(project, store, day)
    assert "lateness" not in _findings(project, store, day + dt.timedelta(days=3))
    assert "lateness" not in _findings(project, store, day + dt.timedelta(days=7))  # weekly: 7 days allowed
    assert "lateness" in _findings(project, store, day + dt.timedelta(days=8))
    late = _findings(project, store, day + dt.timedelta(days=10))["lateness"]
    assert late.message == f"last reviewed on {day}, 10 days ago; it is reviewed weekly (at most 7 days apart)"
    assert late.suggestion == "onpace review lateness --assessment ... --comment '...'"

    monthly = _findings(project, store, day + dt.timedelta(days=10))
    assert monthly["q_revenue"].message == "never reviewed; it is reviewed monthly"


@pytest.mark.parametrize(("days", "overdue_after"), [(31, False), (32, True)])
def test_the_monthly_cadence_allows_31_days(project: Project, store: Store, days: int, overdue_after: bool) -> None:
    with store.session() as s:
        stored.add_review(s, "q_revenue", "a", "on_track", "ok", reviewed_at=T0)
    found = _findings(project, store, T0.date() + dt.timedelta(days=days))
    assert ("q_revenue" in found) is overdue_after


def test_the_newest_review_counts(project: Project, store: Store) -> None:
    with store.session() as s:
        stored.add_review(s, "lateness", "a", "on_track", "new", reviewed_at=T0)
        stored.add_review(s, "lateness", "a", "on_track", "old", reviewed_at=T0 - dt.timedelta(days=30))
    assert "lateness" not in _findings(project, store, T0.date() + dt.timedelta(days=3))


def test_segments_are_reviewed_one_by_one_or_as_a_whole(project: Project, store: Store) -> None:
    today = T0.date() + dt.timedelta(days=3)
    with store.session() as s:
        stored.add_review(s, "by_region", "a", "at_risk", "north only", segment="NORTH", reviewed_at=T0)
    found = _findings(project, store, today)
    assert "by_region [NORTH]" not in found
    assert found["by_region [SOUTH]"].message == "never reviewed; it is reviewed monthly"

    with store.session() as s:
        stored.add_review(s, "by_region", "a", "at_risk", "the whole KPI", reviewed_at=T0)
    found = _findings(project, store, today)
    assert not {"by_region [NORTH]", "by_region [SOUTH]"} & set(found)


# -- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(shop: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    monkeypatch.setenv("ONPACE_USER", "alice")
    return shop


def test_review_then_list_from_the_command_line(cli_env: Path) -> None:
    shop = str(cli_env)
    done = runner.invoke(
        app,
        [
            *("review", "lateness", "--assessment", "off_track", "--comment", "South is late [again]"),
            *("--action", "call the SOUTH warehouse", "--action", "check again on Friday", "--project", shop),
        ],
        env={"COLUMNS": "200"},
    )
    assert done.exit_code == 0, done.output
    assert "Recorded review 1 of lateness" in done.output
    assert "off track" in done.output and "by alice" in done.output
    assert "South is late [again]" in done.output
    assert "action: call the SOUTH warehouse" in done.output
    assert (cli_env / ".onpace" / "store.db").is_file()

    segment = runner.invoke(
        app,
        ["review", "by_region", "--segment", "NORTH", "--assessment", "at_risk", "--comment", "slow", "-p", shop],
    )
    assert segment.exit_code == 0, segment.output
    assert "by_region [NORTH]" in segment.output

    listed = runner.invoke(app, ["reviews", "--project", shop, "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["kpi"], r["segment"], r["assessment"]) for r in rows] == [
        ("by_region", "NORTH", "at_risk"),
        ("lateness", None, "off_track"),
    ]
    assert rows[1]["actions"] == ["call the SOUTH warehouse", "check again on Friday"]
    assert rows[1]["reviewer"] == "alice"
    assert rows[1]["period_start"] is None  # never refreshed, so never evaluated

    one = runner.invoke(app, ["reviews", "lateness", "--project", shop, "--format", "json"])
    assert [r["kpi"] for r in json.loads(one.output)] == ["lateness"]
    limited = runner.invoke(app, ["reviews", "--limit", "1", "--project", shop, "--format", "json"])
    assert [r["kpi"] for r in json.loads(limited.output)] == ["by_region"]

    table = runner.invoke(app, ["reviews", "--project", shop], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "South is late [again]" in table.output and "by_region [NORTH]" in table.output
    assert "check again on Friday" in table.output


def test_the_command_line_names_mistakes(cli_env: Path) -> None:
    shop = str(cli_env)
    bad_kpi = runner.invoke(app, ["review", "latenes", "--assessment", "on_track", "--comment", "c", "-p", shop])
    assert bad_kpi.exit_code == 1
    assert "unknown KPI 'latenes'; did you mean 'lateness'?" in bad_kpi.output
    bad_word = runner.invoke(app, ["review", "lateness", "--assessment", "fine", "--comment", "c", "-p", shop])
    assert bad_word.exit_code == 1 and "unknown assessment 'fine'" in bad_word.output
    missing = runner.invoke(app, ["review", "lateness", "--assessment", "on_track", "-p", shop])
    assert missing.exit_code == 2 and "--comment" in missing.output
    csv = runner.invoke(app, ["reviews", "--format", "csv", "-p", shop])
    assert csv.exit_code == 2
    unknown = runner.invoke(app, ["reviews", "q_revenu", "-p", shop])
    assert unknown.exit_code == 1 and "did you mean 'q_revenue'" in unknown.output
    empty = runner.invoke(app, ["reviews", "-p", shop])
    assert empty.exit_code == 0 and "no review yet" in empty.output
