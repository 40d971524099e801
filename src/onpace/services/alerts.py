"""Alert rules: evaluate them, their history, mutes and tests (their list, with the state of their
series: :mod:`onpace.services.alert_rules`, re-exported here).

:func:`evaluate_alerts` judges each rule's condition (:mod:`onpace.services.alert_conditions`)
for each series it watches, runs the series' state machine (:mod:`onpace.services.alert_state`),
and records, **in one transaction per rule**, the new states, every transition with its values,
and the messages to send (the outbox, :func:`onpace.store.outbox.enqueue`, with an idempotency
key made of the rule, the series and the transition). Two processes evaluating one rule at once
cannot both move a series: the state rows are written with a compare-and-set on their version
(and locked FOR UPDATE on PostgreSQL); the loser's transaction is rolled back and it starts over
from the states the winner wrote.

``as_of``: judge the data known on that date (the KPIs as :func:`onpace.services.evaluate.evaluate_all`
does with ``as_of``, the series cut at the date); the clock of the state machine is then the end of
that day, so a day-by-day replay (``onpace alert run --from --to``) writes the history as it would
have happened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onpace.catalog.alerts import AlertRule, duration_text
from onpace.catalog.project import Project
from onpace.errors import NotFoundError, UserError, did_you_mean_suffix
from onpace.services import alert_conditions as cond
from onpace.services.alert_rules import (
    find_rule,
    mute_view,
    series_view,
)
from onpace.services.alert_rules import get_rule as get_rule
from onpace.services.alert_rules import list_rules as list_rules
from onpace.services.alert_state import ERROR, Message, Outcome, SeriesState, Settings, Step, step
from onpace.services.views.alerts import (
    AlertRunView,
    AlertSeriesView,
    AlertTransitionView,
    MuteView,
)
from onpace.store import alerts as store_alerts
from onpace.store import evaluations as ev
from onpace.store.coltypes import utcnow
from onpace.store.db import Store
from onpace.store.models import AlertSeriesState, AlertTransition

MAX_REPLAY_DAYS = 3660
ATTEMPTS = 5  # evaluations of a rule started over after another process wrote its states meanwhile


# -- evaluation ----------------------------------------------------------------------------------


def evaluate_alerts(
    project: Project,
    store: Store,
    *,
    now: dt.datetime | None = None,
    as_of: dt.date | None = None,
    rules: list[str] | None = None,
) -> AlertRunView:
    """Evaluate every rule (or ``rules``), record the transitions and queue their messages."""
    selected = _select(project, rules)
    clock = _clock(now, as_of)
    ctx = _context(project, store, selected, clock, as_of)
    run = AlertRunView(rules=len(selected), series=0, transitions=0, messages=0)
    for rule in selected:
        for attempt in range(ATTEMPTS):
            try:
                with store.session() as s:
                    series, transitions, messages = _evaluate_rule(s, ctx, rule, run.errors)
                run.series += series
                run.transitions += transitions
                run.messages += messages
                break
            except (store_alerts.StaleState, IntegrityError):
                if attempt == ATTEMPTS - 1:
                    run.errors[rule.name] = "evaluated by other processes at the same time; try again"
    return run


def replay_alerts(
    project: Project,
    store: Store,
    start: dt.date,
    end: dt.date,
    *,
    rules: list[str] | None = None,
    progress: Callable[[dt.date], None] | None = None,
) -> AlertRunView:
    """Evaluate the rules as of every day from ``start`` to ``end`` (inclusive), in order: the
    history as it would have been written by one evaluation a day. Returns the totals."""
    if end < start:
        raise UserError(f"--to {end} is before --from {start}")
    if (end - start).days > MAX_REPLAY_DAYS:
        raise UserError(f"a replay covers at most {MAX_REPLAY_DAYS} days; got {(end - start).days + 1}")
    total = AlertRunView(rules=len(_select(project, rules)), series=0, transitions=0, messages=0)
    day = start
    while day <= end:
        if progress is not None:
            progress(day)
        run = evaluate_alerts(project, store, as_of=day, rules=rules)
        total.series = max(total.series, run.series)
        total.transitions += run.transitions
        total.messages += run.messages
        for name, why in run.errors.items():
            total.errors.setdefault(name, f"{day}: {why}")
        day += dt.timedelta(days=1)
    return total


def _select(project: Project, rules: Sequence[str] | None) -> list[AlertRule]:
    if rules is None:
        return list(project.alerts.values())
    return [find_rule(project, name) for name in rules]


def _clock(now: dt.datetime | None, as_of: dt.date | None) -> dt.datetime:
    if now is not None:
        if now.tzinfo is None:
            raise UserError("now: give a time with its offset (a timezone-aware datetime)")
        return now.astimezone(dt.UTC)
    if as_of is not None:
        today = utcnow().date()
        if as_of > today:  # its transitions were stamped then, and held back every re-notification until then
            raise UserError(f"as of {as_of}: a day after today ({today}) has not happened; alerts keep the real clock")
        return dt.datetime.combine(as_of, dt.time(23, 59, 59), dt.UTC)  # a replayed day ends
    return utcnow()


def _context(
    project: Project, store: Store, rules: Sequence[AlertRule], clock: dt.datetime, as_of: dt.date | None
) -> cond.Context:
    """The judged day and the numbers of every KPI instance the rules need (evaluated once)."""
    wanted = {i.name: i for r in rules if cond.needs_kpi_numbers(r) for i in cond.rule_instances(project, r)}
    numbers: dict[str, cond.KpiNumbers | str] = {}
    if wanted and as_of is not None:
        from onpace.services.evaluate import evaluate_all  # the KPI math, as of the date

        errors: dict[Any, str] = {}
        names = {i.kpi.name for i in wanted.values()}
        for result in evaluate_all(project, store, as_of=as_of, errors=errors, kpis=names):
            e = result.evaluation
            numbers[result.instance.name] = cond.KpiNumbers(
                status=e.status.value,
                actual=e.actual,
                attainment=e.attainment,
                forecast=e.forecast,
                forecast_low=e.forecast_low,
                forecast_high=e.forecast_high,
                probability=e.probability,
                expected_to_date=e.expected_to_date,
                period_start=e.period_start,
                as_of=e.as_of,
            )
        for failure, why in errors.items():
            for instance in wanted.values():
                if instance.kpi.name == failure.name and (failure.segment or "") in ("", instance.key):
                    numbers[instance.name] = why
    elif wanted:
        with store.session(readonly=True) as s:
            rows = {(r.kpi, r.segment): r for r in ev.latest_evaluations(s)}
        for name, instance in wanted.items():
            row = rows.get((instance.kpi.name, instance.key))
            if row is not None:
                numbers[name] = cond.KpiNumbers(
                    status=row.status,
                    actual=row.actual,
                    attainment=row.attainment,
                    forecast=row.forecast,
                    forecast_low=row.forecast_low,
                    forecast_high=row.forecast_high,
                    probability=row.probability,
                    expected_to_date=row.expected_to_date,
                    period_start=row.period_start,
                    as_of=row.as_of,
                )
    day = as_of if as_of is not None else clock.date()
    return cond.Context(project, day, clock, as_of is not None, numbers)


def settings_of(rule: AlertRule) -> Settings:
    return Settings(
        pending_evaluations=rule.pending.evaluations,
        pending_duration=rule.pending.duration,
        notify_on_resolve=rule.notify_on_resolve,
        renotify_every=rule.renotify_every,
        flapping_changes=rule.flapping.changes if rule.flapping is not None else None,
        flapping_window=rule.flapping.window if rule.flapping is not None else 10,
        no_data=rule.no_data,
    )


def _evaluate_rule(s: Session, ctx: cond.Context, rule: AlertRule, errors: dict[str, str]) -> tuple[int, int, int]:
    """One rule in the caller's transaction: (series, transitions, messages)."""
    store_alerts.lock_rule(s, rule.name)
    rows = {row.series: row for row in store_alerts.states(s, rule.name)}
    try:
        checks = cond.check_rule(s, ctx, rule, {k: dict(r.memo or {}) for k, r in rows.items()})
    except Exception as exc:  # noqa: BLE001 - the rule cannot be judged: its series go to "error"
        reason = str(exc) or type(exc).__name__
        errors[rule.name] = reason
        checks = [cond.Check(name, None, error=reason, detail=reason, kpi=row.kpi) for name, row in rows.items()] or [
            cond.Check(rule.scope, None, error=reason, detail=reason)
        ]
    muted = _muted(s, rule.name, ctx.now)
    conf = settings_of(rule)
    transitions = messages = 0
    for check in checks:
        if check.error is not None:
            errors.setdefault(rule.name, f"{check.series}: {check.error}")
        row = rows.get(check.series)
        before = _state_of(row)
        outcome: Outcome = ERROR if check.error is not None else check.outcome
        result = step(before, outcome, ctx.now, conf, muted=None in muted or check.series in muted)
        transition = None
        if result.transition is not None:
            transition = store_alerts.add_transition(
                s,
                rule=rule.name,
                series=check.series,
                kpi=check.kpi,
                from_state=result.transition[0],
                to_state=result.transition[1],
                at=ctx.now,
                as_of=ctx.day,
                value=check.value,
                detail=check.detail,
                message=result.message,
                notified=False,
                muted=result.suppressed is not None,
                details={"facts": check.facts, "flapping": result.flapping},
            )
            transitions += 1
        if result.message is not None:
            ref = f"t{transition.id}" if transition is not None else f"e{result.state.evaluations}"
            queued = _enqueue(s, ctx.project, rule, check, result.message, ref, errors)
            messages += queued
            if transition is not None:
                transition.notified = queued > 0
        store_alerts.save_state(s, row, _columns(result, check, ctx), rule=rule.name, series=check.series)
    s.flush()
    return len(checks), transitions, messages


def _muted(s: Session, rule: str, at: dt.datetime) -> set[str | None]:
    return {m.series for m in store_alerts.mutes(s, [rule], at=at)}


def _state_of(row: AlertSeriesState | None) -> SeriesState:
    if row is None:
        return SeriesState()
    return SeriesState(
        state=row.state,  # type: ignore[arg-type]
        since=row.since,
        pending_count=row.pending_count,
        evaluations=row.evaluations,
        last_outcome=row.last_outcome,
        changes=tuple(row.changes or ()),
        flapping=row.flapping,
        outstanding=row.outstanding,
        last_notified=row.last_notified_at,
    )


def _columns(result: Step, check: cond.Check, ctx: cond.Context) -> dict[str, Any]:
    state = result.state
    return {
        "kpi": check.kpi,
        "state": state.state,
        "since": state.since,
        "pending_count": state.pending_count,
        "evaluations": state.evaluations,
        "last_outcome": state.last_outcome,
        "changes": list(state.changes),
        "flapping": state.flapping,
        "outstanding": state.outstanding,
        "last_notified_at": state.last_notified,
        "last_evaluated_at": ctx.now,
        "last_as_of": ctx.day,
        "last_value": check.value,
        "last_detail": check.detail,
        "memo": check.memo,
    }


# -- messages ------------------------------------------------------------------------------------

_HEADLINE = {
    "firing": "FIRING",
    "renotify": "STILL FIRING",
    "resolved": "RESOLVED",
    "flapping": "FLAPPING",
}


def _enqueue(
    s: Session,
    project: Project,
    rule: AlertRule,
    check: cond.Check,
    message: Message,
    ref: str,
    errors: dict[str, str],
    *,
    test: bool = False,
) -> int:
    """Queue ``message`` for every recipient of ``rule``; how many were queued."""
    from onpace.services.delivery import resolve_recipients
    from onpace.store import outbox

    subject, text, payload = compose(project, rule, check, message, test=test)
    series_key = hashlib.sha256(check.series.encode()).hexdigest()[:12]
    queued = 0
    targets: list[tuple[str, str | None]] = []
    for recipient in rule.recipients:
        try:
            targets += resolve_recipients(project, [recipient], kpi_owner=check.owner)
        except ValueError as exc:
            errors.setdefault(rule.name, str(exc))
    if check.kpi is not None and not test:  # a KPI's followers hear its alerts (those without an email: skipped)
        from onpace.services.follows import follower_targets

        targets += follower_targets(s, project, check.kpi).targets
    for channel, to in dict.fromkeys(targets):
        who = hashlib.sha256(f"{channel}\0{to or ''}".encode()).hexdigest()[:12]
        key = f"alert:{rule.name}:{series_key}:{ref}:{message}:{who}"
        found = outbox.enqueue(
            s,
            channel=channel,
            to=to,
            subject=subject,
            text=text,
            payload=payload,
            key=key,
            origin=f"alert:{rule.name}",
        )
        queued += found is not None
    return queued


def compose(
    project: Project, rule: AlertRule, check: cond.Check, message: Message, *, test: bool = False
) -> tuple[str, str, dict[str, Any]]:
    """The subject, text and payload of one alert message."""
    title = rule.label or rule.name.replace("_", " ")
    head = ("TEST " if test else "") + _HEADLINE[message]
    subject = f"[onpace] {head}: {title} — {check.series}"
    lines = [
        f"{head}: {title}",
        "",
        check.detail,
        "",
        f"Rule: {rule.name} ({rule.kind}, {rule.scope})",
        f"Series: {check.series}",
    ]
    if message == "flapping":
        lines.insert(3, "It changes state too often: held firing, without further messages until it settles.")
    if rule.renotify_every is not None and message in ("firing", "renotify"):
        lines.append(f"Reminded every {duration_text(rule.renotify_every)} while it fires.")
    status = {"firing": "firing", "renotify": "firing", "flapping": "firing", "resolved": "resolved"}[message]
    payload: dict[str, Any] = {
        "title": f"{head}: {title}",
        "status": status,
        "facts": {"Series": check.series, **check.facts},
        "url": f"/kpis/{check.kpi}" if check.kpi else "/alerts",
        "rule": rule.name,
        "series": check.series,
        "kpi": check.kpi,
        "message": message,
        "value": check.value,
        "test": test,
    }
    return subject, "\n".join(lines) + "\n", payload


# -- history ---------------------------------------------------------------------------------------


def history(
    project: Project, store: Store, *, rule: str | None = None, kpi: str | None = None, limit: int = 100
) -> list[AlertTransitionView]:
    """Transitions, newest first."""
    if rule is not None:
        find_rule(project, rule)
    if kpi is not None and kpi not in project.kpis:
        raise NotFoundError(f"no KPI '{kpi}'" + did_you_mean_suffix(kpi, project.kpis))
    if limit < 1:
        raise UserError("limit: expected 1 or more")
    with store.session(readonly=True) as s:
        return [_transition_view(t) for t in store_alerts.transitions(s, rule=rule, kpi=kpi, limit=limit)]


def _transition_view(row: AlertTransition) -> AlertTransitionView:
    return AlertTransitionView(
        id=row.id,
        rule=row.rule,
        series=row.series,
        kpi=row.kpi,
        from_state=row.from_state,
        to_state=row.to_state,
        at=row.at,
        as_of=row.as_of,
        value=row.value,
        detail=row.detail,
        notified=row.notified,
    )


# -- mutes ---------------------------------------------------------------------------------------


def mute(
    project: Project, store: Store, rule: str, *, until: dt.datetime, by: str, why: str, series: str | None = None
) -> MuteView:
    """Silence a rule (or one of its series) until ``until``: its transitions are still recorded."""
    find_rule(project, rule)
    now = utcnow()
    if until.tzinfo is None:
        raise UserError("until: give a time with its offset (e.g. 2026-12-01T09:00+00:00)")
    if until <= now:
        raise UserError("until: the mute must end in the future")
    if not why.strip():
        raise UserError("why: say why the rule is muted")
    if not by.strip():
        raise UserError("by: who mutes the rule")
    with store.session() as s:
        if series is not None and series not in {r.series for r in store_alerts.states(s, rule)}:
            known = [r.series for r in store_alerts.states(s, rule)]
            raise NotFoundError(
                f"alert rule '{rule}' has no series '{series}'"
                + (f" (its series: {', '.join(known)})" if known else ""),
            )
        row = store_alerts.add_mute(
            s, rule=rule, series=series, until=until.astimezone(dt.UTC), by=by, why=why, now=now
        )
        return mute_view(row)


def unmute(project: Project, store: Store, mute_id: int, *, by: str) -> str:
    """End a mute now, and say what happened: ``Ended mute N``, or, for a mute that was over already
    (ended by someone, or run out), when and how (the call changes nothing then: it said "Ended")."""
    now = utcnow()
    with store.session() as s:
        row = store_alerts.end_mute(s, mute_id, by=by, now=now)
        ended_at, ended_by, until = row.ended_at, row.ended_by, row.until
    if ended_at == now and ended_by == by:
        return f"Ended mute {mute_id}"
    if ended_at is not None:
        return f"mute {mute_id} had ended already: on {ended_at:%Y-%m-%d %H:%M} UTC, by {ended_by}"
    return f"mute {mute_id} had run out already: on {until:%Y-%m-%d %H:%M} UTC"


# -- the KPI page, the scorecard, a test -------------------------------------------------------------


def alerts_of_kpi(project: Project, store: Store, kpi: str) -> list[AlertSeriesView]:
    """The series of every rule that watches ``kpi`` (the KPI page)."""
    if kpi not in project.kpis:
        raise NotFoundError(f"no KPI '{kpi}'" + did_you_mean_suffix(kpi, project.kpis))
    with store.session(readonly=True) as s:
        rows = [r for r in store_alerts.states(s, kpi=kpi) if r.rule in project.alerts]
        mutes = store_alerts.mutes(s, sorted({r.rule for r in rows}))
    return [series_view(row, [m for m in mutes if m.rule == row.rule]) for row in rows]


def firing_count_by_kpi(project: Project, store: Store) -> dict[str, int]:
    """How many series of the project's rules are firing per KPI (the scorecard cards).

    A rule removed from the definitions leaves its series' states in the store: they are not
    counted (the KPI page and the Alerts page leave them out too).
    """
    if not project.alerts:
        return {}
    with store.session(readonly=True) as s:
        return store_alerts.firing_by_kpi(s, sorted(project.alerts))


def test_rule(project: Project, store: Store, rule: str, *, send: bool = False) -> list[AlertSeriesView]:
    """Judge one rule now without recording anything; ``send``: queue a test message for each series
    whose condition holds (or, when none does, for the first series) to the rule's recipients."""
    found = find_rule(project, rule)
    clock = utcnow()
    ctx = _context(project, store, [found], clock, None)
    with store.session(readonly=True) as s:
        rows = {row.series: row for row in store_alerts.states(s, rule)}
        checks = cond.check_rule(s, ctx, found, {k: dict(r.memo or {}) for k, r in rows.items()})
    views = [
        AlertSeriesView(
            rule=rule,
            series=c.series,
            kpi=c.kpi,
            state="error" if c.error else ("firing" if c.outcome else ("no_data" if c.outcome is None else "normal")),
            since=None,
            value=c.value,
            detail=c.detail,
            last_evaluated_at=clock,
        )
        for c in checks
    ]
    if send:
        errors: dict[str, str] = {}
        chosen = [c for c in checks if c.outcome] or checks[:1]
        with store.session() as s:
            stamp = clock.strftime("%Y%m%dT%H%M%S%f")
            queued = sum(_enqueue(s, project, found, c, "firing", f"test{stamp}", errors, test=True) for c in chosen)
        if errors and not queued:
            raise UserError(f"alert rule '{rule}': no test message queued: {errors[rule]}")
    return views


test_rule.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
