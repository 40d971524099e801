"""The level as of each day of a balance counted per entity (a ``semi_additive`` metric with ``per``).

Entities (warehouses) are counted on days of their own: on a day only some of them have a
snapshot. The level as of a day is each entity's latest snapshot on or before that day (its
rows on its latest snapshot day), carried forward until the entity's next snapshot, summed; the
days run to the last snapshot day of the rows read, never past it.
``docs/engine-contract.md`` ("Semi-additive metrics") states the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis


def as_of_each_day(
    rows: Any, time: str, entity: Sequence[str], dims: Sequence[str], days: Any, period: str, name: str
) -> Any:
    """The sum of ``rows``' ``__v`` by day (``days``' column ``period``) and ``dims``, each entity (the
    combination of the ``entity`` columns, null a value of its own) on its latest snapshot day (``time``)
    on or before the day, up to the last day of ``rows``.

    ``rows`` must hold every snapshot before the first of ``days`` that can carry into it; its
    column ``__k`` tells the rows a snapshot is chosen from (the metric's filter: the others only
    say how far the data goes).
    """
    kept = rows.filter(rows["__k"])
    # one row per snapshot, entity and combination: the days hold each of them, not every row
    kept = kept.group_by([time, *entity, *dims]).aggregate(__v=kept["__v"].sum())
    chosen = _chosen(kept, rows, time, entity, days, period)
    return chosen.group_by([chosen[period], *[chosen[d] for d in dims]]).aggregate(**{name: chosen["__v"].sum()})


def seen_each_day(rows: Any, time: str, entity: Sequence[str], dims: Sequence[str], days: Any, period: str) -> Any:
    """The days and ``dims`` :func:`as_of_each_day` holds when every row counts (before the metric's
    filter, which hides no combination): the combinations seen each day."""
    chosen = _chosen(rows.select(time, *entity, *dims).distinct(), rows, time, entity, days, period)
    return chosen.select(period, *dims).distinct()


def _chosen(kept: Any, rows: Any, time: str, entity: Sequence[str], days: Any, period: str) -> Any:
    """Each day (``period``) with the ``kept`` rows of every entity's latest snapshot on or before it,
    up to the last day of ``rows``."""
    snaps = kept.select(time, *entity).distinct()
    order = ibis.window(group_by=[snaps[c] for c in entity], order_by=snaps[time])
    snaps = snaps.select(
        __t=snaps[time],
        __next=snaps[time].lead().over(order),
        **{f"__s{i}": snaps[c] for i, c in enumerate(entity)},
    )
    snaps = snaps.cross_join(rows.aggregate(__end=rows[time].max()))
    day = days[period]
    held = days.join(
        snaps,
        [day >= snaps["__t"], day <= snaps["__end"], snaps["__next"].isnull() | (day < snaps["__next"])],
    )
    return held.join(
        kept, [held["__t"] == kept[time], *[held[f"__s{i}"].identical_to(kept[c]) for i, c in enumerate(entity)]]
    )
