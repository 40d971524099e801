"""``onpace demo``: the demo company's project, data, KPI evaluations and team notes.

:func:`prepare` makes (or reuses) a project folder for Fernhill Outdoor Co.: the
definitions of ``examples/demo`` (objectives, KPIs, metrics, datasets), three
years of generated data (:mod:`onpace.examples.demo_data`) in ``data/demo.duckdb``,
a refresh of every KPI, and what a team would have added by hand: the quarterly
engagement survey's values (a manual metric), reviews of the KPIs that need
them, comments, and annotations of what happened outside the data (an outage,
a migration, a new carrier, the checkout redesign). A demo login is added. The
alert rules (``examples/demo/models/alerts.yml``) are replayed over the last 90
days of data, day by day, and their messages delivered to ``outbox/``.

Everything is deterministic and dated from the data, never from today: the KPIs
are evaluated as of the data's last day (``evaluation.as_of: latest_data``).
Running it again on the same folder reuses the data and the notes and refreshes.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from onpace.catalog.project import Project, load_project
from onpace.config import Settings, store_url
from onpace.errors import UserError
from onpace.examples import demo_data
from onpace.examples.starter import copy_template
from onpace.services import alerts, auth, notes, values
from onpace.services import reviews as review_service
from onpace.services.refresh import RefreshResult, refresh
from onpace.store import evaluations
from onpace.store import users as store_users
from onpace.store.db import Store

PROJECT_NAME = "fernhill"
# written into every demo folder: only a folder with it is reused, or deleted by --fresh
MARKER = auth.DEMO_MARKER
MARKER_TEXT = "made by onpace demo"
DATA_FILE = Path("data") / "demo.duckdb"
# a login for the demo only: `onpace demo` prints it; no other command creates it
DEMO_USER = auth.DEMO_USER  # refused in production: see auth.login and auth.production_problems
DEMO_PASSWORD = auth.DEMO_PASSWORD
ACTOR = "onpace demo"

Progress = Callable[[str], None]


@dataclass
class DemoResult:
    root: Path
    refresh: RefreshResult
    statuses: Counter[str] = field(default_factory=Counter)
    generated: bool = False  # the data was generated now (else reused)
    seeded: bool = False  # the notes were added now (else there already)


def prepare(directory: Path, *, fresh: bool = False, progress: Progress = lambda _: None) -> DemoResult:
    """Make the demo project in ``directory`` (or reuse the one there), refresh it, add notes and the login.

    The demo's store is always the SQLite file in the demo folder, and the command refuses to run
    outside development: its admin login has a published password.
    """
    settings = Settings()
    if settings.environment != "development":
        raise UserError(
            "onpace demo adds an admin with a published password: it runs only with ONPACE_ENVIRONMENT=development"
        )
    root = _create(Path(directory), fresh=fresh, progress=progress)
    generated = False
    if not (root / DATA_FILE).exists():
        progress("generating three years of Fernhill's data")
        demo_data.generate(root / DATA_FILE)
        generated = True
    project = load_project(root)
    # never ONPACE_DATABASE_URL: the demo's login and notes stay in the demo folder
    store = Store(store_url(root, Settings(database_url=None))).ensure_current()
    try:
        seeded = _seed_values(project, store)
        progress("computing the metrics and evaluating the KPIs")
        result = refresh(project, store, requested_by=ACTOR)
        if result.status != "succeeded":
            raise UserError(f"the demo's refresh {result.status}: {result.errors}")
        seeded = _seed_notes(project, store) or seeded
        _replay_alerts(project, store, progress)
        _add_login(store)
        with store.session(readonly=True) as s:
            statuses = Counter(e.status for e in evaluations.latest_evaluations(s))
    finally:
        store.close()
    return DemoResult(root=root, refresh=result, statuses=statuses, generated=generated, seeded=seeded)


ALERT_DAYS = 90  # the alert rules are replayed over the last 90 days of data


def _replay_alerts(project: Project, store: Store, progress: Progress) -> None:
    """The alert rules as of each of the last :data:`ALERT_DAYS` days of data, once (a demo whose
    alerts were replayed already keeps its history): the Alerts page then shows what they said."""
    if any(rule.series for rule in alerts.list_rules(project, store)):
        return
    with store.session(readonly=True) as s:
        last = max(e.as_of for e in evaluations.latest_evaluations(s))
    first = last - dt.timedelta(days=ALERT_DAYS - 1)
    progress(f"replaying the alert rules from {first} to {last}")
    alerts.replay_alerts(project, store, first, last)
    # the messages go to the `inbox` channel: files in outbox/ of the demo folder
    from onpace.services.delivery import deliver_due

    while deliver_due(project, store, limit=500).claimed:
        pass


def _create(directory: Path, *, fresh: bool, progress: Progress) -> Path:
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory} is a file; give a directory for the demo")
    if directory.exists() and any(directory.iterdir()):
        if not _is_demo(directory):
            raise UserError(f"{directory} is not empty and not an onpace demo; choose a new directory")
        if not fresh:
            progress(f"reusing the demo in {directory}")
            return directory.resolve()
        shutil.rmtree(directory)
    progress(f"writing the demo project to {directory}")
    copy_template("demo", directory)
    (directory / MARKER).write_text(MARKER_TEXT + "\n", encoding="utf-8")
    return directory.resolve()


def _is_demo(directory: Path) -> bool:
    """Whether ``directory`` was made by ``onpace demo`` (it leaves a marker file that says so)."""
    try:
        return (directory / MARKER).read_text(encoding="utf-8").startswith(MARKER_TEXT)
    except OSError:
        return False


def _add_login(store: Store) -> None:
    with store.session(readonly=True) as s:
        exists = store_users.get_user(s, DEMO_USER) is not None
    if not exists:
        auth.add_user(store, DEMO_USER, DEMO_PASSWORD, "admin", actor=ACTOR)


# -- what the team entered by hand ---------------------------------------------------------------
# The quarterly engagement survey (0-100): it rose through 2025 and held in 2026. The fourth
# quarter's survey has not run yet, so the KPI shows the third quarter: achieved.
ENGAGEMENT = {
    "2024-01-01": 68.0,
    "2024-04-01": 69.5,
    "2024-07-01": 70.0,
    "2024-10-01": 69.0,
    "2025-01-01": 71.0,
    "2025-04-01": 72.5,
    "2025-07-01": 73.0,
    "2025-10-01": 72.0,
    "2026-01-01": 73.5,
    "2026-04-01": 74.0,
    "2026-07-01": 74.5,
}


def _seed_values(project: Project, store: Store) -> bool:
    """The survey's values, once (an import of the same values again would change nothing anyway)."""
    with store.session(readonly=True) as s:
        if store_users.get_user(s, DEMO_USER) is not None:
            return False  # an earlier run got this far
    lines = ["metric,period,value", *(f"employee_engagement,{p},{v}" for p, v in ENGAGEMENT.items())]
    rows = values.parse_values(project, "\n".join(lines) + "\n", "onpace demo")
    values.import_values(project, store, rows, actor="Head of People", source="pulse survey (onpace demo)")
    return True


@dataclass(frozen=True)
class Note:
    kpi: str
    author: str
    text: str


@dataclass(frozen=True)
class Event:
    kpi: str
    author: str
    on: dt.date
    label: str
    text: str
    until: dt.date | None = None


@dataclass(frozen=True)
class ReviewNote:
    kpi: str
    reviewer: str
    assessment: str
    text: str
    actions: tuple[str, ...] = ()
    segment: str | None = None


EVENTS = (
    Event(
        "checkout_uptime_2025",
        "Chief Technology Officer",
        dt.date(2025, 3, 11),
        "Checkout outage",
        "A failed payment-provider certificate rotation took the checkout down for about six hours.",
    ),
    Event(
        "quarterly_revenue",
        "Chief Technology Officer",
        dt.date(2025, 3, 11),
        "Checkout outage",
        "About six hours without a checkout; orders of that day fell by half.",
    ),
    Event(
        "line_b_defects_q3_2025",
        "Head of Manufacturing",
        dt.date(2025, 9, 1),
        "Faulty batch of tent poles on Line B",
        "A supplier's batch of aluminium poles failed the bend test; found and stopped on 21 September.",
        until=dt.date(2025, 9, 21),
    ),
    Event(
        "on_time_delivery",
        "Head of Operations",
        dt.date(2026, 2, 2),
        "ERP and warehouse migration",
        "Three weeks of picking on the new system: parcels left one to three days late.",
        until=dt.date(2026, 2, 22),
    ),
    Event(
        "on_time_delivery",
        "Head of Operations",
        dt.date(2026, 6, 1),
        "NorthFreight takes over North America",
        "The new carrier delivers within the promised day far more often than the old one.",
    ),
    Event(
        "mobile_conversion",
        "Head of E-commerce",
        dt.date(2026, 9, 7),
        "New checkout launched",
        "The redesigned checkout went live on web and app; on phones it asks for the address twice.",
    ),
    Event(
        "quarterly_revenue",
        "Head of E-commerce",
        dt.date(2026, 9, 7),
        "New checkout launched",
        "Conversion on phones dropped from the first day.",
    ),
    Event(
        "acquisition_cost",
        "Head of Marketing",
        dt.date(2026, 10, 1),
        "Paid campaigns raised",
        "Paid search and social budgets up by half for the autumn, to make up for the lower conversion.",
    ),
    Event(
        "first_response",
        "Head of Customer Service",
        dt.date(2026, 10, 9),
        "Two agents left",
        "Two experienced Tier 1 agents left in October; their replacements start in January.",
    ),
)

COMMENTS = (
    Note(
        "quarterly_revenue",
        "Chief Commercial Officer",
        "We are behind plan since the checkout change. Traffic is up year on year, so this is conversion, "
        "not demand: see the mobile conversion KPI.",
    ),
    Note(
        "quarterly_revenue",
        "Chief Financial Officer",
        "If November closes like this we miss Q4 by more than a million. I need the rollback decision by Friday.",
    ),
    Note(
        "mobile_conversion",
        "Head of E-commerce",
        "The address step on phones is the culprit (session recordings). A fix is in testing; rollback of the "
        "mobile flow is ready as a fallback.",
    ),
    Note(
        "mobile_conversion",
        "Chief Technology Officer",
        "The fix ships behind a flag on 23 November, first to 10 % of mobile sessions.",
    ),
    Note(
        "acquisition_cost",
        "Chief Financial Officer",
        "Buying traffic to a checkout that does not convert makes every new customer dearer. "
        "Hold the extra budget until the fix is out.",
    ),
    Note(
        "first_response",
        "Head of Customer Service",
        "Chat is the slowest; we moved two people from email to chat for the peak season.",
    ),
    Note(
        "on_time_delivery",
        "Head of Operations",
        "Best quarter since we started measuring, thanks to NorthFreight in North America.",
    ),
    Note(
        "checkout_uptime_2025",
        "Chief Technology Officer",
        "Certificate rotation is automated and monitored since April 2025; no repeat since.",
    ),
)

REVIEWS = (
    ReviewNote(
        "quarterly_revenue",
        "Chief Executive",
        "off_track",
        "Q4 is behind its seasonal path since the new checkout: orders fell while sessions kept growing.",
        (
            "Ship the mobile address fix (E-commerce, 23 Nov)",
            "Decide on a rollback if conversion has not recovered by 30 Nov (CEO)",
            "Hold the extra paid budget (Marketing)",
        ),
    ),
    ReviewNote(
        "mobile_conversion",
        "Head of E-commerce",
        "off_track",
        "Mobile conversion is down about 15 % since 7 September; desktop is only slightly lower.",
        ("A/B test the one-page address form", "Daily conversion report to the leadership team"),
    ),
    ReviewNote(
        "first_response",
        "Head of Customer Service",
        "off_track",
        "Two agents short and the peak season coming: first answers take far longer than our promise.",
        ("Hire two agents (People)", "Move two people to chat", "Auto-reply with delivery status on chat"),
    ),
    ReviewNote(
        "on_time_delivery",
        "Head of Operations",
        "on_track",
        "On time well above target all quarter; the February migration is behind us.",
    ),
    ReviewNote(
        "support_satisfaction",
        "Head of Customer Service",
        "at_risk",
        "CSAT slips with the slower first answers: fewer 4s and 5s on chat since October.",
        ("Weekly CSAT review of chat tickets", "Auto-reply with the delivery status on chat"),
    ),
    ReviewNote(
        "checkout_uptime_2025",
        "Chief Technology Officer",
        "missed",
        "The March outage alone cost the year's target; the other eleven months were above it.",
        ("Automated certificate rotation (done April 2025)",),
    ),
)


def _seed_notes(project: Project, store: Store) -> bool:
    """Comments, annotations and reviews, once: skipped when the demo already has comments."""
    if notes.list_comments(store, "kpi", COMMENTS[0].kpi):
        return False
    for event in EVENTS:
        notes.add_annotation(
            project,
            store,
            "kpi",
            event.kpi,
            author=event.author,
            on_date=event.on,
            label=event.label,
            body=event.text,
            end_date=event.until,
        )
    for comment in COMMENTS:
        notes.add_comment(project, store, "kpi", comment.kpi, author=comment.author, body=comment.text)
    for review in REVIEWS:
        review_service.record_review(
            project,
            store,
            review.kpi,
            reviewer=review.reviewer,
            assessment=review.assessment,
            commentary=review.text,
            actions=review.actions,
            segment=review.segment,
        )
    return True
