"""The translation of dbt semantic manifests, item by item: filters, measures, each kind of metric, and what is reported."""

from __future__ import annotations

from typing import Any

import pytest
from dbt_semantic_interfaces.implementations.semantic_manifest import PydanticSemanticManifest

from onpace.importers.filters import FilterContext, Untranslatable, translate_filter
from onpace.importers.names import group_by
from onpace.importers.translate import Translation, translate

CONTEXT = FilterContext(
    time_dimension="order__ds",
    entity_columns={"order": "order_id", "customer": "customer_id"},
    dimensions=frozenset({"order__ds", "order__channel", "customer__country", "country__region"}),
)


def manifest(metrics: list[dict[str, Any]], measures: list[dict[str, Any]] | None = None) -> Any:
    """A manifest of two semantic models (orders -> customers) and ``metrics``."""
    return PydanticSemanticManifest.parse_obj(
        {
            "semantic_models": [
                {
                    "name": "orders",
                    "node_relation": {"alias": "orders", "schema_name": "main"},
                    "defaults": {"agg_time_dimension": "ds"},
                    "entities": [
                        {"name": "order", "type": "primary", "expr": "order_id"},
                        {"name": "customer", "type": "foreign", "expr": "customer_id"},
                    ],
                    "dimensions": [
                        {"name": "ds", "type": "time", "type_params": {"time_granularity": "day"}},
                        {"name": "channel", "type": "categorical"},
                    ],
                    "measures": measures
                    or [
                        {"name": "revenue", "agg": "sum", "expr": "amount"},
                        {"name": "order_count", "agg": "sum", "expr": "1"},
                        {"name": "buyers", "agg": "count_distinct", "expr": "customer_id"},
                        {"name": "avg_amount", "agg": "average", "expr": "amount"},
                    ],
                },
                {
                    "name": "customers",
                    "node_relation": {"alias": "customers", "schema_name": "main"},
                    "entities": [{"name": "customer", "type": "primary", "expr": "id"}],
                    "dimensions": [{"name": "country", "type": "categorical", "expr": "country_code"}],
                    "measures": [],
                },
            ],
            "metrics": metrics,
            "project_configuration": {"time_spine_table_configurations": []},
        }
    )


def simple(name: str, measure: str, where: str | None = None) -> dict[str, Any]:
    metric: dict[str, Any] = {"name": name, "type": "simple", "type_params": {"measure": {"name": measure}}}
    if where:
        metric["filter"] = {"where_filters": [{"where_sql_template": where}]}
    return metric


def by_name(result: Translation) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in result.metrics}


def reasons(result: Translation) -> dict[str, str]:
    return {item.name: item.reason for item in result.not_translated}


# filters


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ Dimension('customer__country') }} = 'MX'", "customer__country = 'MX'"),
        # the entity path stays: onpace joins through the same keys (onpace.catalog.dimref)
        ("{{ Dimension('country__region', entity_path=['customer']) }} = 'NA'", "customer__country__region = 'NA'"),
        ("{{ Dimension('customer__country__region') }} in ('NA', 'SA')",
         "customer__country__region in ('NA', 'SA')"),
        ("{{ TimeDimension('metric_time', 'day') }} >= '2022-03-01'", "order__ds >= '2022-03-01'"),
        ("{{ TimeDimension('order__ds') }} < '2022-04-01'", "order__ds < '2022-04-01'"),
        # a time dimension at a grain: its period's first day, as onpace names it
        ("{{ TimeDimension('metric_time', 'month') }} = '2022-03-01'", "order__ds__month = '2022-03-01'"),
        ("{{ Dimension('order__ds').grain('week') }} = '2022-03-07'", "order__ds__week = '2022-03-07'"),
        ("{{ TimeDimension('customer__country', 'quarter') }} >= '2022-01-01'",
         "customer__country__quarter >= '2022-01-01'"),
        ("{{ Dimension('order__ds__year') }} = '2022-01-01'", "order__ds__year = '2022-01-01'"),
        ("{{ Dimension('metric_time') }} is not null", "order__ds is not null"),
        ("{{ Entity('customer') }} != 'c1'", "customer_id != 'c1'"),
        ("{{Dimension('order__channel')}} = 'web'\n  and {{ Dimension('customer__country') }} = 'MX'",
         "order__channel = 'web' and customer__country = 'MX'"),
    ],
)  # fmt: skip
def test_filters_become_onpace_conditions(template: str, expected: str) -> None:
    assert translate_filter(template, CONTEXT) == expected


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ TimeDimension('metric_time', 'fiscal_half') }} = '2022-03-01'", "grain 'fiscal_half'"),
        ("{{ Dimension('order__ds__month').grain('week') }} = '2022-03-07'", "two grains"),
        ("{{ Metric('revenue', group_by=['customer']) }} > 100", "metric used as a filter"),
        ("{{ Entity('customer__country') }} = 'MX'", "through other entities"),
        ("{{ Dimension('customer__segment') }} = 'a'", "no imported dimension 'customer__segment'"),
        ("{{ Dimension('order__channel') }}::text = 'web'", "not in onpace's filter language"),
        ("{{ Dimension('channel') }} = 'web'", "'entity__dimension'"),
    ],
)
def test_filters_onpace_cannot_say_are_refused_with_the_reason(template: str, reason: str) -> None:
    with pytest.raises(Untranslatable, match=reason.replace("(", r"\(").replace(")", r"\)")):
        translate_filter(template, CONTEXT)


def test_group_bys_map_to_grains_and_dimensions() -> None:
    assert group_by("metric_time") == ("day", None)
    assert group_by("metric_time__quarter") == ("quarter", None)
    # MetricFlow's names are onpace references as they are (a key path, then the dimension)
    assert group_by("customer__country__region") == (None, "customer__country__region")
    assert group_by("order__channel") == (None, "order__channel")
    assert group_by("customer") == (None, "customer")  # an entity: its own dimension
    # a time dimension other than metric_time at a grain: onpace's name is the same
    assert group_by("customer__signup__month") == (None, "customer__signup__month")


# datasets and measures


def test_semantic_models_become_datasets_with_keys_qualified_dimensions_and_time() -> None:
    result = translate(manifest([simple("revenue", "revenue")]), "dbt")
    orders, customers = result.datasets
    assert orders["table"] == "main.orders" and orders["source"] == "dbt"
    assert orders["time"] == "order__ds"
    assert orders["keys"] == [
        {"name": "order", "column": "order_id", "primary": True},
        {"name": "customer", "column": "customer_id"},
    ]
    # the primary entity is a dimension too (MetricFlow groups by entities: --group-by customer)
    assert orders["dimensions"] == [
        {"name": "order", "label": "order (entity)", "column": "order_id"},
        {"name": "order__ds", "column": "ds", "type": "time"},
        {"name": "order__channel", "column": "channel"},
    ]
    assert customers["dimensions"] == [
        {"name": "customer", "label": "customer (entity)", "column": "id"},
        {"name": "customer__country", "column": "country_code"},
    ]
    assert "time" not in customers
    measures = {m["name"]: m for m in orders["measures"]}
    assert measures["order_count"] == {"name": "order_count", "agg": "count"}  # SUM(1) counts rows
    assert measures["avg_amount"] == {"name": "avg_amount", "agg": "avg", "expr": "amount"}
    assert not result.not_translated


def test_measures_onpace_cannot_aggregate_are_reported_and_constants_are_summed() -> None:
    measures: list[dict[str, Any]] = [
        {"name": "flags", "agg": "sum_boolean", "expr": "is_web"},
        {"name": "twice", "agg": "sum", "expr": "2"},
        {"name": "p90", "agg": "percentile", "expr": "amount", "agg_params": {"percentile": 0.9}},
        {"name": "p90_discrete", "agg": "percentile", "expr": "amount",
         "agg_params": {"percentile": 0.9, "use_discrete_percentile": True}},
        {"name": "cast", "agg": "sum", "expr": "amount::int"},
    ]  # fmt: skip
    result = translate(manifest([simple("twice_metric", "twice")], measures))
    kept = {m["name"]: m for m in result.datasets[0]["measures"]}
    assert kept["flags"] == {"name": "flags", "agg": "sum", "expr": "case when is_web then 1 else 0 end"}
    assert kept["p90"]["percentile"] == 0.9
    assert kept["twice"] == {"name": "twice", "agg": "sum", "expr": "2"}  # summed per row, as in SQL
    found = reasons(result)
    assert "orders.twice" not in found
    assert "continuous" in found["orders.p90_discrete"]
    assert "not in onpace's expression language" in found["orders.cast"]
    assert "twice_metric" not in found


# metrics


def test_simple_metrics_keep_their_filters() -> None:
    result = translate(manifest([simple("mx_revenue", "revenue", "{{ Dimension('customer__country') }} = 'MX'")]))
    assert by_name(result)["mx_revenue"] == {
        "name": "mx_revenue",
        "measure": "orders.revenue",
        "filter": "customer__country = 'MX'",
    }


def test_ratio_and_derived_metrics_with_offsets() -> None:
    metrics = [
        simple("revenue", "revenue"),
        simple("orders", "order_count"),
        {"name": "aov", "type": "ratio", "type_params": {"numerator": {"name": "revenue"}, "denominator": {"name": "orders"}}},
        {"name": "web_share", "type": "ratio", "type_params": {
            "numerator": {"name": "revenue", "filter": "{{ Dimension('order__channel') }} = 'web'"},
            "denominator": {"name": "revenue"}}},
        {"name": "growth", "type": "derived", "type_params": {"expr": "revenue / revenue_prev - 1", "metrics": [
            {"name": "revenue"},
            {"name": "revenue", "alias": "revenue_prev", "offset_window": {"count": 1, "granularity": "month"}}]}},
        {"name": "mtd_start", "type": "derived", "type_params": {"expr": "r", "metrics": [
            {"name": "revenue", "alias": "r", "offset_to_grain": "month"}]}},
        {"name": "custom_start", "type": "derived", "type_params": {"expr": "r", "metrics": [
            {"name": "revenue", "alias": "r", "offset_to_grain": "fiscal_half"}]}},
    ]  # fmt: skip
    result = translate(manifest(metrics))
    out = by_name(result)
    assert out["aov"] == {"name": "aov", "type": "ratio", "numerator": "revenue", "denominator": "orders"}
    assert out["web_share"] == {
        "name": "web_share",
        "type": "derived",
        "expr": "numerator / denominator",
        "inputs": [
            {"metric": "revenue", "alias": "numerator", "filter": "order__channel = 'web'"},
            {"metric": "revenue", "alias": "denominator"},
        ],
    }
    assert out["growth"] == {
        "name": "growth",
        "type": "derived",
        "expr": "revenue / revenue_prev - 1",
        "inputs": [{"metric": "revenue", "alias": "revenue_prev", "offset": "1 month"}],
    }
    assert out["mtd_start"]["inputs"] == [{"metric": "revenue", "alias": "r", "offset": "start of month"}]
    assert "offset_to_grain 'fiscal_half'" in reasons(result)["custom_start"]


def test_cumulative_metrics_reuse_the_plain_metric_or_get_an_input() -> None:
    metrics = [
        simple("revenue", "revenue"),
        {"name": "revenue_7d", "type": "cumulative", "type_params": {
            "measure": {"name": "revenue"}, "cumulative_type_params": {"window": {"count": 7, "granularity": "day"}}}},
        {"name": "revenue_mtd", "type": "cumulative", "type_params": {
            "measure": {"name": "revenue"}, "cumulative_type_params": {"grain_to_date": "month"}}},
        {"name": "web_revenue_total", "type": "cumulative",
         "filter": {"where_filters": [{"where_sql_template": "{{ Dimension('order__channel') }} = 'web'"}]},
         "type_params": {"measure": {"name": "revenue"}}},
        {"name": "avg_total", "type": "cumulative", "type_params": {"measure": {"name": "avg_amount"}}},
        {"name": "revenue_last", "type": "cumulative", "type_params": {
            "measure": {"name": "revenue"}, "cumulative_type_params": {"period_agg": "last"}}},
        {"name": "revenue_avg", "type": "cumulative", "type_params": {
            "measure": {"name": "revenue"}, "cumulative_type_params": {"period_agg": "average"}}},
    ]  # fmt: skip
    result = translate(manifest(metrics))
    out = by_name(result)
    # MetricFlow's default period_agg is first (each period's value as of its first day)
    assert out["revenue_7d"] == {
        "name": "revenue_7d",
        "metric": "revenue",
        "type": "cumulative",
        "window": "7 days",
        "period_agg": "first",
    }
    assert out["revenue_mtd"]["grain_to_date"] == "month"
    assert "period_agg" not in out["revenue_last"]  # last: onpace's default
    assert out["web_revenue_total"]["metric"] == "web_revenue_total__input"
    assert out["web_revenue_total__input"]["filter"] == "order__channel = 'web'"
    assert "sums, counts and distinct counts" in reasons(result)["avg_total"]
    assert "period_agg 'average'" in reasons(result)["revenue_avg"]
    # first is translated as it is; last differs in a period in progress only (a caveat)
    assert {c.name for c in result.caveats if "period_agg" in c.reason} == {"revenue_last"}


def test_non_additive_measures_become_semi_additive_metrics() -> None:
    measures = [
        {"name": "balance", "agg": "sum", "non_additive_dimension": {"name": "ds", "window_choice": "max"}},
        {"name": "opening", "agg": "sum", "expr": "balance",
         "non_additive_dimension": {"name": "ds", "window_choice": "min"}},
        {"name": "per_customer", "agg": "sum", "expr": "balance",
         "non_additive_dimension": {"name": "ds", "window_groupings": ["customer"]}},
        {"name": "per_store", "agg": "sum", "expr": "balance",
         "non_additive_dimension": {"name": "ds", "window_groupings": ["store"]}},
    ]  # fmt: skip
    metrics = [simple("balance", "balance"), simple("opening", "opening"), simple("per_customer", "per_customer"),
               simple("per_store", "per_store")]  # fmt: skip
    result = translate(manifest(metrics, measures))
    out = by_name(result)
    assert out["balance"] == {
        "name": "balance",
        "type": "semi_additive",
        "measure": "orders.balance",
        "over_time": "last",
    }
    assert out["opening"]["over_time"] == "first"
    # window_groupings: each entity's own snapshots, by the entity's dimension
    assert out["per_customer"]["per"] == ["customer"]
    # by day MetricFlow holds that day's rows only: onpace's by_day default (the level) is not taken
    assert out["per_customer"]["by_day"] == "snapshots" and "by_day" not in out["balance"]
    assert "no semantic model has 'store' as its primary entity" in reasons(result)["per_store"]


def test_conversion_metrics_reuse_plain_metrics_or_get_their_own() -> None:
    metrics = [
        simple("orders", "order_count"),
        {"name": "repeat_rate", "type": "conversion", "type_params": {"conversion_type_params": {
            "base_measure": {"name": "order_count"}, "conversion_measure": {"name": "order_count"},
            "entity": "customer", "window": {"count": 30, "granularity": "day"}}}},
        {"name": "web_after_order", "type": "conversion", "type_params": {"conversion_type_params": {
            "base_measure": {"name": "order_count"},
            "conversion_measure": {"name": "revenue", "filter": {"where_filters": [
                {"where_sql_template": "{{ Dimension('order__channel') }} = 'web'"}]}},
            "entity": "customer", "calculation": "conversions"}}},
        {"name": "same_channel", "type": "conversion", "type_params": {"conversion_type_params": {
            "base_measure": {"name": "order_count"}, "conversion_measure": {"name": "order_count"},
            "entity": "customer", "constant_properties": [{"base_property": "order__channel",
                                                            "conversion_property": "order__channel"}]}}},
        {"name": "same_channel_x2", "type": "derived", "type_params": {"expr": "same_channel * 2",
                                                                       "metrics": [{"name": "same_channel"}]}},
    ]  # fmt: skip
    result = translate(manifest(metrics))
    out = by_name(result)
    assert out["repeat_rate"] == {
        "name": "repeat_rate",
        "type": "conversion",
        "base": "orders",
        "conversion": "orders",
        "entity": "customer",
        "window": "30 days",
    }
    assert out["web_after_order"]["base"] == "orders"
    assert out["web_after_order"]["conversion"] == "web_after_order__conversion"
    assert out["web_after_order"]["calculation"] == "conversions"
    assert "window" not in out["web_after_order"]  # any time after
    assert out["web_after_order__conversion"]["filter"] == "order__channel = 'web'"
    assert out["web_after_order__conversion"]["measure"] == "orders.revenue"
    found = reasons(result)
    assert "constant_properties" in found["same_channel"]
    assert found["same_channel_x2"] == "its input metric 'same_channel' is not translated"


def test_an_entity_primary_in_two_models_gets_one_dimension() -> None:
    base = manifest([simple("orders", "order_count")])
    facts = base.semantic_models[1].copy(update={"name": "customer_facts", "dimensions": []})
    both = base.copy(update={"semantic_models": [*base.semantic_models, facts]})
    result = translate(both)
    dims = {ds["name"]: [d["name"] for d in ds["dimensions"]] for ds in result.datasets}
    # the first model whose primary entity it is holds it; onpace's dimension names are the project's
    assert dims["customers"] == ["customer", "customer__country"]
    assert dims["customer_facts"] == []


def test_an_entity_whose_first_model_key_is_not_translated_goes_to_the_next() -> None:
    base = manifest([simple("orders", "order_count")])
    customers = base.semantic_models[1]
    untranslatable = customers.entities[0].copy(update={"expr": "id::varchar"})
    first = customers.copy(update={"entities": [untranslatable]})
    facts = customers.copy(update={"name": "customer_facts", "dimensions": []})
    both = base.copy(update={"semantic_models": [base.semantic_models[0], first, facts]})
    result = translate(both)
    dims = {ds["name"]: [d["name"] for d in ds["dimensions"]] for ds in result.datasets}
    assert "customer" not in dims["customers"]  # its key is not translated (reported)
    assert dims["customer_facts"] == ["customer"]
