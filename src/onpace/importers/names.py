"""How MetricFlow's names become onpace's.

A MetricFlow dimension is named by the entities that lead to it and its own name:
``customer__customer_country`` (dimension ``customer_country`` of the semantic model whose
primary entity is ``customer``), ``customer__country__region`` (``region``, reached from
``customer`` through ``country``). onpace names each imported dimension by the entity that
holds it and its name (``customer__customer_country``, ``country__region``), and each
entity becomes a key of the same name, so MetricFlow's longer names are onpace references
through keys as they are: ``customer__country__region`` is ``country__region`` reached
through key ``customer`` (:mod:`onpace.catalog.dimref`). ``metric_time`` is onpace's period,
and ``metric_time__month`` its grain.
"""

from __future__ import annotations

METRIC_TIME = "metric_time"
GRAINS = ("day", "week", "month", "quarter", "year")


def dimension_name(entity: str, dimension: str) -> str:
    """The onpace name of ``dimension`` of the semantic model whose primary entity is ``entity``."""
    return f"{entity}__{dimension}"


def group_by(name: str) -> tuple[str | None, str | None]:
    """A MetricFlow group-by as (onpace grain, onpace dimension): one of them is None.

    ``metric_time`` -> ("day", None); ``metric_time__month`` -> ("month", None);
    ``customer__country__region`` -> (None, "customer__country__region"), ``customer`` (an
    entity) -> (None, "customer"), ``customer__ds__month`` (a time dimension at a grain) -> (None,
    "customer__ds__month"): onpace takes MetricFlow's names as they are. ValueError for a grain of
    metric_time onpace does not have.
    """
    parts = name.split("__")
    if parts[0] == METRIC_TIME:
        grain = parts[1] if len(parts) > 1 else "day"
        if len(parts) > 2 or grain not in GRAINS:
            raise ValueError(f"{name!r}: onpace's grains are {', '.join(GRAINS)}")
        return grain, None
    return None, name
