"""How a reference to a dimension names the joins that lead to it.

A dimension is named by its own name (``region``) and, where the dataset a query starts
from reaches it by more than one path, by the keys to join through first, first hop first:
``supplier.nation.region``, or in MetricFlow's style with double underscores,
``supplier__nation__region``. The whole name is tried as a dimension first, so a dimension
whose own name holds ``__`` (``country__region``) is never split; otherwise the longest
tail that is a dimension, after parts that are all key names, is the dimension and what comes
before it the keys: ``customer__country__region`` is ``country__region`` reached through key
``customer``. A name whose parts are not keys (a column ``utm__source``) is not split.
"""

from __future__ import annotations

from collections.abc import Container

SEPARATOR = "__"


def split_ref(name: str, dimensions: Container[str], keys: Container[str]) -> tuple[tuple[str, ...], str]:
    """``name`` as (keys to join through, dimension name); the name unchanged when unknown."""
    *via, bare = name.split(".")
    if bare in dimensions or SEPARATOR not in bare:
        return tuple(via), bare
    parts = bare.split(SEPARATOR)
    for i in range(1, len(parts)):
        if parts[i - 1] not in keys:
            break
        tail = SEPARATOR.join(parts[i:])
        if tail in dimensions:
            return (*via, *parts[:i]), tail
    return tuple(via), bare


def dimension_of(name: str, dimensions: Container[str], keys: Container[str]) -> str:
    """The dimension a reference names (``customer__country__region`` -> ``country__region``)."""
    return split_ref(name, dimensions, keys)[1]
