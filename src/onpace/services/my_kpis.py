"""My KPIs: the KPIs a user owns or follows, with their verdicts, their reviews due and their alerts.

A user owns a KPI when its ``owner`` is one of their names: their login, the name of the person
of ``people:`` in onpace.yml whose ``user`` is their login, or that person's email (an owner may
be written as an email address).
"""

from __future__ import annotations

import datetime as dt

from onpace.catalog.project import Project
from onpace.services import alerts as alert_service
from onpace.services import review_schedule, scorecard
from onpace.services.follows import followed_by
from onpace.services.reminders import review_is_due
from onpace.services.views.my import MyKpi, MyKpis
from onpace.store.db import Store


def owner_names(project: Project, username: str) -> list[str]:
    """The names a KPI's owner has when ``username`` owns it."""
    names = [username]
    for name, person in project.config.people.items():
        if person.user == username:
            names += [n for n in (name, person.email) if n and n not in names]
    return names


def my_kpis(project: Project, store: Store, username: str, *, today: dt.date | None = None) -> MyKpis:
    """The KPIs ``username`` owns or follows (by priority, then label), each with its scorecard rows,
    the next due day of its reviews and its alerts; the reviews due by ``today`` (default: today)."""
    today = today or dt.date.today()
    names = owner_names(project, username)
    followed = set(followed_by(store, username))
    chosen = sorted(
        (k for k in project.kpis.values() if k.owner in names or k.name in followed),
        key=lambda k: (k.priority, (k.label or k.name).lower(), k.name),
    )
    wanted = {k.name for k in chosen}
    rows = [r for r in scorecard.kpi_rows(project, store) if r.kpi in wanted] if wanted else []
    schedule = [r for r in review_schedule.schedule(project, store, today) if r.kpi in wanted] if wanted else []
    kpis = [
        MyKpi(
            kpi=k.name,
            label=k.label or k.name,
            objective=k.objective,
            owner=k.owner,
            owned=k.owner in names,
            followed=k.name in followed,
            rows=[r for r in rows if r.kpi == k.name],
            reviews=[r for r in schedule if r.kpi == k.name],
            alerts=alert_service.alerts_of_kpi(project, store, k.name),
        )
        for k in chosen
    ]
    return MyKpis(
        user=username,
        owner_names=names,
        today=today,
        kpis=kpis,
        reviews_due=[r for r in schedule if review_is_due(r, today)],
        firing=sum(1 for k in kpis for a in k.alerts if a.state == "firing"),
    )
