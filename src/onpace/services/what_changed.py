"""What changed and why: a KPI's change on the same days of the previous period, the segments
behind it and how its driver metrics moved, in one paragraph computed from the data.

The windows are those of the KPI's evaluation (:func:`onpace.kpi.contribution.compared_windows`);
the numbers come from :mod:`onpace.services.what_changed_numbers` (the engine's totals and
breakdowns, split by :mod:`onpace.kpi.contribution`), the words from
:mod:`onpace.services.what_changed_words`. The KPI page (loaded after the page) and the reports
show the same :class:`WhatChanged` (docs/what-changed.md).

- :func:`what_changed`: with a :class:`Workspace` (the KPI page, the API);
- :func:`what_changed_of`: with a project, a store and an engine (a report renderer);
- :func:`explain`: for an evaluation row already read (the KPI page has it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.project import MetricDef, Project
from onpace.engine import Engine
from onpace.errors import OnpaceError
from onpace.kpi import contribution as c
from onpace.kpi.instances import is_computed, timeframe_grain
from onpace.services import scorecard
from onpace.services import what_changed_numbers as numbers
from onpace.services import what_changed_words as words
from onpace.services.lookup import get_kpi
from onpace.services.views.change import relative
from onpace.services.views.scorecard import ScorecardRow
from onpace.services.views.what_changed import Contributor, WhatChanged, Window
from onpace.services.workspace import Workspace
from onpace.store.db import Store


def what_changed(
    workspace: Workspace, kpi: str, segment: str = "", as_of: dt.date | None = None, previous_status: str | None = None
) -> WhatChanged:
    """What changed for ``kpi`` (its ``segment``, else its first; as of ``as_of``) and why.

    ``previous_status``: the status the caller saw before (a report's previous run); a
    sentence says so when the KPI's status is now another.
    """
    project = workspace.project()
    with workspace.engine() as engine:
        return what_changed_of(project, workspace.store, engine, kpi, segment, as_of, previous_status)


def what_changed_of(
    project: Project,
    store: Store,
    engine: Engine,
    kpi: str,
    segment: str = "",
    as_of: dt.date | None = None,
    previous_status: str | None = None,
) -> WhatChanged:
    """:func:`what_changed` without a workspace: for a report renderer that has a store and an engine."""
    definition = get_kpi(project, kpi)
    rows = scorecard.kpi_rows(project, store, as_of, kpi=kpi)
    row = scorecard.segment_row(project, kpi, rows, segment)
    return explain(project, engine, definition, row, previous_status=previous_status, segment=segment)


def explain(
    project: Project,
    engine: Engine,
    kpi: g.Kpi,
    row: ScorecardRow | None,
    *,
    previous_status: str | None = None,
    segment: str = "",
) -> WhatChanged:
    """What changed for the evaluation ``row`` of ``kpi`` (None: never evaluated, ``segment`` asked) and why."""
    metric = project.metrics[kpi.metric or ""]
    found = _Found(kpi=kpi, metric=metric, segment=(row.segment or "") if row else segment)
    if row is None:
        return found.nothing(f"{words.label(metric)} has not been evaluated yet: nothing to compare.")
    if not is_computed(project, metric.name):
        return found.nothing(
            f"{words.label(metric)} is entered by hand: onpace compares values computed from data only."
        )
    grain = timeframe_grain(project, kpi)
    windows = c.compared_windows(row.period_start, row.period_end, row.as_of, grain, project.calendar)
    if windows is None:
        return found.nothing(f"The period starts on {row.period_start.isoformat()}: nothing to compare yet.")
    try:
        return _explain(project, engine, found, row, grain, windows, previous_status)
    except OnpaceError as exc:  # a source that cannot be read now, a metric the engine cannot total
        return found.nothing(f"What changed could not be computed: {exc.public_message}")


@dataclass
class _Found:
    kpi: g.Kpi
    metric: MetricDef
    segment: str

    def nothing(self, why: str, **values: object) -> WhatChanged:
        view: dict[str, object] = {
            "kpi": self.kpi.name,
            "segment": self.segment,
            "metric": self.metric.name,
            "method": None,
            "current": None,
            "previous": None,
            "value_now": None,
            "value_before": None,
            "change": None,
            "change_pct": None,
            "dimension": None,
            "contributors": [],
            "drivers": [],
            "paragraph": why,
            "note": why,
            "format": self.metric.format,
        }
        return WhatChanged.model_validate({**view, **values})


def _explain(
    project: Project,
    engine: Engine,
    found: _Found,
    row: ScorecardRow,
    grain: m.Grain,
    windows: tuple[c.Window, c.Window],
    previous_status: str | None,
) -> WhatChanged:
    metric = found.metric
    current, previous = windows
    where = numbers.where_of(project, found.kpi, found.segment)
    shown = {"current": _window(current), "previous": _window(previous)}
    told = words.subject(metric, found.kpi, found.segment)
    counted = numbers.total(engine, metric.name, current, where)
    now = counted.value
    fmt = words.shown(metric.format, whole=counted.whole)  # the paragraph's numbers: a count without decimals
    first, _ = engine.data_days(metric.name, where)
    if first is None or first > previous.end:
        why = (
            f"{told} has no data for {words.previous_words(row, grain, project, windows)} "
            f"({previous.start.isoformat()} to {previous.end.isoformat()}): nothing to compare."
        )
        paragraph = " ".join(s for s in (why, words.status_sentence(row, previous_status)) if s)
        return found.nothing(why, paragraph=paragraph, value_now=now, **shown)
    before = numbers.total(engine, metric.name, previous, where).value
    change = None if now is None or before is None else now - before
    negligible = (
        now is not None and before is not None and c.negligible(before, now, rate=metric.format.kind == "percent")
    )
    method = c.method_of(project, metric.name)
    ranked = numbers.ranked(project, engine, metric, method, windows, where)
    named = numbers.named(ranked, negligible=negligible)
    moved = None if negligible else change  # a negligible change: no driver moved with or against it
    drivers = [d for d in (numbers.driver(project, engine, n, windows, moved) for n in found.kpi.drivers) if d]
    sentences = [
        words.head(project, told, fmt, row, grain, windows, now, before, negligible=negligible),
        *words.segment_sentences(project, metric, fmt, method, named, negligible=negligible),
        words.drivers_sentence(drivers),
        words.data_sentences(row, current, previous, first),
        words.status_sentence(row, previous_status),
    ]
    return WhatChanged(
        kpi=found.kpi.name,
        segment=found.segment,
        metric=metric.name,
        method=method,
        value_now=now,
        value_before=before,
        change=change,
        change_pct=relative(now, before),
        negligible=negligible,
        dimension=ranked[0].dimension if ranked else None,
        contributors=[Contributor(dimension=r.dimension, **asdict(part)) for r, parts in named for part in parts],
        drivers=drivers,
        paragraph=" ".join(s for s in sentences if s),
        format=metric.format,
        **shown,
    )


def _window(window: c.Window) -> Window:
    return Window(start=window.start, end=window.end, days=window.days)
