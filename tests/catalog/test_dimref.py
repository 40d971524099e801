"""References to dimensions through keys: '.' or MetricFlow's '__'."""

from __future__ import annotations

from onpace.catalog.dimref import dimension_of, split_ref

DIMS = {"region", "country__region", "customer__customer_country", "nation", "source"}
KEYS = {"customer", "supplier", "order", "nation"}


def test_a_dimension_name_is_never_split_even_with_double_underscores() -> None:
    assert split_ref("country__region", DIMS, KEYS) == ((), "country__region")
    assert split_ref("customer__customer_country", DIMS, KEYS) == ((), "customer__customer_country")
    assert split_ref("region", DIMS, KEYS) == ((), "region")


def test_keys_before_the_longest_known_tail() -> None:
    # 'country__region' is a dimension, so 'customer' is a key; not 'customer__country' then 'region'
    assert split_ref("customer__country__region", DIMS, KEYS) == (("customer",), "country__region")
    assert split_ref("supplier__nation", DIMS, KEYS) == (("supplier",), "nation")
    assert split_ref("order__customer__nation", DIMS, KEYS) == (("order", "customer"), "nation")


def test_dots_and_underscores_combine() -> None:
    assert split_ref("supplier.nation.nation", DIMS, KEYS) == (("supplier", "nation"), "nation")
    assert split_ref("order.customer__nation", DIMS, KEYS) == (("order", "customer"), "nation")


def test_unknown_names_come_back_whole_for_the_caller_to_report() -> None:
    assert split_ref("customer__segment", DIMS, KEYS) == ((), "customer__segment")
    assert split_ref("a____nation", DIMS, KEYS) == ((), "a____nation")  # an empty key is not a key
    assert dimension_of("customer__segment", DIMS, KEYS) == "customer__segment"
    assert dimension_of("customer__country__region", DIMS, KEYS) == "country__region"


def test_parts_that_are_not_keys_are_not_split() -> None:
    # a column utm__source is not the dimension source through a key 'utm' (there is none)
    assert split_ref("utm__source", DIMS, KEYS) == ((), "utm__source")
    assert split_ref("customer__utm__source", DIMS, KEYS) == ((), "customer__utm__source")
