"""The store's tables, as SQLAlchemy declarative models.

The migrations in ``migrations/versions`` create exactly these tables; a test
compares the two. Constraint names come from ``NAMING_CONVENTION`` so they are
the same on SQLite and PostgreSQL, which later migrations rely on to alter them.

Words with a fixed vocabulary (a definition's kind, a run's status) are
checked by the database as well as typed here, so a typo cannot be stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column

from onpace.store.coltypes import UTCDateTime, utcnow
from onpace.store.vocabulary import DefinitionKind as DefinitionKind
from onpace.store.vocabulary import DefinitionOrigin as DefinitionOrigin
from onpace.store.vocabulary import LifecycleAction as LifecycleAction
from onpace.store.vocabulary import PeriodStatus as PeriodStatus
from onpace.store.vocabulary import ReportRunStatus as ReportRunStatus
from onpace.store.vocabulary import ReviewAssessment as ReviewAssessment
from onpace.store.vocabulary import Role as Role
from onpace.store.vocabulary import RunMode as RunMode
from onpace.store.vocabulary import RunStatus as RunStatus
from onpace.store.vocabulary import SeriesOrigin as SeriesOrigin
from onpace.store.vocabulary import SubjectKind as SubjectKind
from onpace.store.vocabulary import TargetSource as TargetSource

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON that is SQL NULL when the value is None (not the JSON text 'null').
NullableJSON = JSON(none_as_null=True)


def one_of(column: str, words: Any) -> CheckConstraint:
    """A CHECK that ``column`` is one of the Literal ``words``, named ``<column>``."""
    listed = ", ".join(f"'{w}'" for w in get_args(words))
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AppliedDefinition(Base):
    """One definition (metric, KPI, …) as last applied, from YAML or made in the app."""

    __tablename__ = "applied_definitions"
    __table_args__ = (
        UniqueConstraint("kind", "name"),
        one_of("kind", DefinitionKind),
        one_of("origin", DefinitionOrigin),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    file: Mapped[str | None] = mapped_column(Text)
    yaml_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(8))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by: Mapped[str] = mapped_column(Text)


class RefreshRun(Base):
    """One refresh: when, by whom, how it ended and which metrics failed."""

    __tablename__ = "refresh_runs"
    __table_args__ = (one_of("status", RunStatus), one_of("mode", RunMode))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    metrics_total: Mapped[int] = mapped_column(Integer, default=0)
    metrics_failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    scope: Mapped[list[str] | None] = mapped_column(JSON)  # the metrics of a --metric run; None: all


class Series(Base):
    """A metric at one grain, for the whole metric (segment '') or one segment."""

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("metric", "grain", "segment"), one_of("origin", SeriesOrigin))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(128))
    grain: Mapped[str] = mapped_column(String(16))
    segment: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(8))
    data_until: Mapped[date | None] = mapped_column(Date)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("refresh_runs.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    definition_hash: Mapped[str | None] = mapped_column(String(64))  # what the values were computed from


class Observation(Base):
    """The value of a series for the period that starts on ``period_start``."""

    __tablename__ = "observations"

    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[float | None] = mapped_column(Double)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("refresh_runs.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KpiEvaluation(Base):
    """A KPI's status at one moment: target, actual, pace and forecast for its period."""

    __tablename__ = "kpi_evaluations"
    __table_args__ = (Index(None, "kpi", "segment", "evaluated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi: Mapped[str] = mapped_column(String(128))
    segment: Mapped[str] = mapped_column(Text, default="")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("refresh_runs.id", ondelete="SET NULL"))
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    as_of: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    target: Mapped[float | None] = mapped_column(Double)
    target_low: Mapped[float | None] = mapped_column(Double)
    target_high: Mapped[float | None] = mapped_column(Double)
    actual: Mapped[float | None] = mapped_column(Double)
    expected_to_date: Mapped[float | None] = mapped_column(Double)
    attainment: Mapped[float | None] = mapped_column(Double)
    forecast: Mapped[float | None] = mapped_column(Double)
    forecast_low: Mapped[float | None] = mapped_column(Double)
    forecast_high: Mapped[float | None] = mapped_column(Double)
    probability: Mapped[float | None] = mapped_column(Double)
    status: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class KpiPeriod(Base):
    """A period of a KPI (per segment) that is over: achieved or missed, judged as of its last day.

    One row per (KPI, segment, period start), rewritten by each refresh when its verdict changed
    (``onpace.services.evaluate``); ``details`` holds the reason and the target in words.
    """

    __tablename__ = "kpi_periods"
    __table_args__ = (UniqueConstraint("kpi", "segment", "period_start"), one_of("status", PeriodStatus))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi: Mapped[str] = mapped_column(String(128))
    segment: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    target: Mapped[float | None] = mapped_column(Double)
    target_low: Mapped[float | None] = mapped_column(Double)
    target_high: Mapped[float | None] = mapped_column(Double)
    actual: Mapped[float | None] = mapped_column(Double)
    attainment: Mapped[float | None] = mapped_column(Double)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("refresh_runs.id", ondelete="SET NULL"))
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TargetChange(Base):
    """A KPI's target as it was (``old``) and became (``new``), who changed it and how."""

    __tablename__ = "target_history"
    __table_args__ = (Index(None, "kpi", "changed_at"), one_of("source", TargetSource))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8))
    old: Mapped[Any] = mapped_column(NullableJSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON)


class LifecycleEvent(Base):
    """A metric promoted to a KPI, or a KPI demoted to a metric: who, when and why."""

    __tablename__ = "lifecycle_events"
    __table_args__ = (Index(None, "metric", "at"), one_of("action", LifecycleAction))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditEntry(Base):
    """One change made to onpace's objects, by whom and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"), Index(None, "object_kind", "object_name"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    object_kind: Mapped[str] = mapped_column(String(16))
    object_name: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Review(Base):
    """A KPI reviewed by a person: their assessment of its status, commentary and actions."""

    __tablename__ = "reviews"
    __table_args__ = (Index(None, "kpi", "reviewed_at"), one_of("assessment", ReviewAssessment))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi: Mapped[str] = mapped_column(String(128))
    segment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewer: Mapped[str] = mapped_column(Text)
    assessment: Mapped[str] = mapped_column(String(16))
    commentary: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    period_start: Mapped[date | None] = mapped_column(Date)


class User(Base):
    """A person who logs in to the web app or the API; the password is kept as an argon2 hash."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("name"), one_of("role", Role))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A logged-in browser: the cookie holds a random token, the store only its SHA-256 hash."""

    __tablename__ = "web_sessions"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A token for scripts and other systems; shown once, kept as its SHA-256 hash."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(Text)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """A failed login, kept for rate limiting by user name and by client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index(None, "name", "at"), Index(None, "client", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    """Feedback on a KPI or a metric, by a person."""

    __tablename__ = "comments"
    __table_args__ = (Index(None, "subject_kind", "subject", "created_at"), one_of("subject_kind", SubjectKind))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(128))
    author: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Annotation(Base):
    """A note on a KPI's or metric's timeline: an external factor, an incident, a campaign."""

    __tablename__ = "annotations"
    __table_args__ = (Index(None, "subject_kind", "subject", "on_date"), one_of("subject_kind", SubjectKind))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(128))
    on_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- the scheduler: claimed ticks and job runs (issue 17; migration 0006) ---

JobStatus = Literal["running", "succeeded", "failed", "interrupted"]


class JobRun(Base):
    """One tick of a scheduled job: its claim (owner, lease) and how its run went.

    The unique (job, scheduled_at) is the claim: of the processes that reach a tick, the one whose
    insert lands runs it. The owner renews ``lease_expires_at`` while it runs; a run whose lease
    expired (its process died) is taken over by another process (``attempt`` + 1).
    """

    __tablename__ = "sched_job_runs"
    __table_args__ = (
        UniqueConstraint("job", "scheduled_at"),
        Index(None, "status", "lease_expires_at"),
        one_of("status", JobStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(200))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(300))  # host:pid:token of the process that holds the claim
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[int | None] = mapped_column(Integer)  # values written
    run_id: Mapped[int | None] = mapped_column(ForeignKey("refresh_runs.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)


# --- alerts: rule states, transitions, mutes (issue 17; migration 0007) ---

AlertStateName = Literal["normal", "pending", "firing", "resolved", "no_data", "error"]
AlertMessageKind = Literal["firing", "renotify", "resolved", "flapping"]


class AlertSeriesState(Base):
    """The state machine of one series of an alert rule (onpace.services.alert_state), between evaluations.

    ``version`` goes up by one at every write, which is a compare-and-set (UPDATE ... WHERE version =
    the one read): of two processes evaluating a rule at once, one writes and the other starts over.
    """

    __tablename__ = "alert_states"
    __table_args__ = (UniqueConstraint("rule", "series"), Index(None, "kpi"), one_of("state", AlertStateName))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(128))
    series: Mapped[str] = mapped_column(String(600))
    kpi: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    evaluations: Mapped[int] = mapped_column(Integer, default=0)
    last_outcome: Mapped[bool | None] = mapped_column(Boolean)
    changes: Mapped[list[int]] = mapped_column(JSON, default=list)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    outstanding: Mapped[bool] = mapped_column(Boolean, default=False)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_as_of: Mapped[date | None] = mapped_column(Date)
    last_value: Mapped[float | None] = mapped_column(Double)
    last_detail: Mapped[str] = mapped_column(Text, default="")
    memo: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what a condition compares with next time
    version: Mapped[int] = mapped_column(Integer, default=0)


class AlertTransition(Base):
    """One change of state of an alert series, with the values that caused it and whether it was told."""

    __tablename__ = "alert_transitions"
    __table_args__ = (
        Index(None, "rule", "at"),
        Index(None, "kpi", "at"),
        one_of("from_state", AlertStateName),
        one_of("to_state", AlertStateName),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(128))
    series: Mapped[str] = mapped_column(String(600))
    kpi: Mapped[str | None] = mapped_column(String(128))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    as_of: Mapped[date | None] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Double)
    detail: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str | None] = mapped_column(String(16))  # the message queued for it, if any
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AlertMute(Base):
    """A silence of a rule (or one of its series) until a time: who asked for it and why."""

    __tablename__ = "alert_mutes"
    __table_args__ = (Index(None, "rule", "until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(128))
    series: Mapped[str | None] = mapped_column(String(600))
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(Text)
    why: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(Text)


# --- the outbox: messages to deliver and their attempts (issue 17; migration 0008) ---

OutboxStatus = Literal["queued", "sending", "delivered", "failed", "dead"]
AttemptOutcome = Literal["sending", "delivered", "failed", "interrupted"]


class OutboxMessage(Base):
    """A message to deliver, written in the transaction that caused it; ``key`` is its idempotency key.

    ``queued``: never tried; ``sending``: a deliverer holds its lease (``lease_owner`` until
    ``lease_expires_at``); ``failed``: tried, tried again at ``next_attempt_at``; ``delivered``: the
    channel confirmed it (never sent again); ``dead``: given up after the last try.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("key"),
        Index(None, "status", "next_attempt_at"),
        one_of("status", OutboxStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(63))
    recipient: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    origin: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxAttempt(Base):
    """One try at delivering a message: who tried, when, and what came of it."""

    __tablename__ = "outbox_attempts"
    __table_args__ = (UniqueConstraint("message_id", "number"), one_of("outcome", AttemptOutcome))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="sending")
    error: Mapped[str | None] = mapped_column(Text)


class OutboxFile(Base):
    """The bytes of a file sent with messages, kept once: a report run's PDF and charts are one row
    each, however many recipients' messages attach them (:class:`OutboxAttachment`)."""

    __tablename__ = "outbox_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)  # bytes
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxAttachment(Base):
    """A file sent with a message (a report's PDF and CSV, an inline chart), written with the message:
    its name and type in this message, its bytes an :class:`OutboxFile` that other messages may share.

    ``content_id``: set for an image shown inline in the HTML body (``<img src="cid:...">``).
    ``data``: the file's bytes, read with the attachment (a correlated subquery, not a column).
    """

    __tablename__ = "outbox_attachments"
    __table_args__ = (UniqueConstraint("message_id", "filename"), Index(None, "file_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"))
    file_id: Mapped[int] = mapped_column(ForeignKey("outbox_files.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    content_id: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[bytes] = column_property(
        select(OutboxFile.data).where(OutboxFile.id == file_id).correlate_except(OutboxFile).scalar_subquery()
    )


class ReportRun(Base):
    """One rendering of a report, sent or not: its as-of date, when, how it went, what it queued.

    ``key``: unique per report and scheduled tick (``scheduled:<iso time>``) or per manual send, so
    two schedulers never send one tick's report twice. ``kpis``: each KPI's status and value as the
    report showed them (``{"kpi|segment": {"status": ..., "actual": ...}}``): the next report says
    what changed since.
    """

    __tablename__ = "report_runs"
    __table_args__ = (
        UniqueConstraint("report", "key"),
        Index(None, "report", "started_at"),
        one_of("status", ReportRunStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(255))
    as_of: Mapped[date | None] = mapped_column(Date)
    requested_by: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int | None] = mapped_column(Integer)
    kpis: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)


class Follow(Base):
    """A user following a KPI: it is on their My KPIs page and they hear its alerts."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("username", "kpi"), Index(None, "kpi"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128))
    kpi: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
