"""JSON Schemas of the definition files, for editor completion and checks.

Both schemas are built from the pydantic models (:class:`~onpace.catalog.models.ProjectConfig`
for ``onpace.yml``, :class:`~onpace.catalog.models.ModelFile` for files under ``models/``),
with a description on every key. ``python -m onpace.catalog.schema`` writes them to
``schema/onpace-project.schema.json`` and ``schema/onpace.schema.json``; a test keeps the
committed files equal to what this module generates.

The schema checks shape only; references between definitions (a ratio's numerator, a
measure's dataset) are checked by ``onpace validate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from onpace.catalog import files, goals
from onpace.catalog import models as m

DRAFT = "https://json-schema.org/draft/2020-12/schema"
PROJECT_SCHEMA_FILE = "onpace-project.schema.json"
MODELS_SCHEMA_FILE = "onpace.schema.json"

_METRIC_COMMON = {
    "name": "Unique name of the metric in the project: lower-case letters, digits and underscores.",
    "label": "Name shown to people, e.g. 'Average order value'.",
    "description": "What the metric measures and how to read it.",
    "unit": "Unit of the values, e.g. 'orders', 'hours', 'EUR'.",
    "format": "How values are displayed: number, currency, percent or duration.",
    "direction": "Whether a higher or a lower value is better.",
    "owner": "Person or role accountable for the metric, e.g. 'Head of Sales'.",
    "department": "Department the metric belongs to.",
    "cadence": "How often the metric is tracked: daily, weekly, monthly, quarterly or yearly.",
    "default_grain": "Grain used when a query asks for none.",
    "tags": "Free labels for search and grouping.",
}

_SHARED_MEASURE = {
    "measure": "A measure, as 'dataset.measure' or the name of a measure that is unique in the project.",
    "dataset": "Dataset to aggregate when the metric defines its own aggregation (instead of 'measure').",
    "expr": "Column or expression to aggregate, in the expression language.",
    "filter": "Condition on the rows, in the expression language; only matching rows count.",
    "time": "Time dimension of the metric, when it is not the dataset's 'time'.",
}

#: Descriptions of the keys, by model (a pydantic Field(description=...) is the fallback).
FIELD_DOCS: dict[type[BaseModel], dict[str, str]] = {
    m.ProjectConfig: {
        "name": "Name of the project: lower-case letters, digits and underscores.",
        "description": "What the project covers.",
        "sources": "Data sources by name. Without any, the project uses an embedded DuckDB file, "
        "data/warehouse.duckdb.",
        "default_source": "Source of datasets that name none; the first source when not given.",
        "calendar": "Week start and fiscal year start.",
        "models": "Folders or files (relative to the project) holding the definition files; default ['models'].",
        "evaluation": "How KPIs are evaluated: the as-of date and the default status bands.",
        "governance": "Limits and thresholds of 'onpace lint'.",
        "refresh": "Settings of 'onpace refresh'.",
    },
    m.StatusBands: {
        "on_track": "Attainment (actual / expected to date) at or above which a KPI is on track; default 1.0.",
        "at_risk": "Attainment at or above which a KPI is at risk (below: off track); default 0.9.",
    },
    m.EvaluationSettings: {
        "as_of": "Date KPIs are evaluated at: today (default) or latest_data (the last day with data of each "
        "KPI's series, its segment's own, for historical or lagging data).",
        "status_bands": "Default status bands of every KPI.",
    },
    m.GovernanceSettings: {
        "max_kpis_per_objective": "More KPIs than this on one objective is flagged; default 5.",
        "max_kpis": "More KPIs than this in the project is flagged; default 25.",
        "met_periods_for_demotion": "A KPI met this many periods in a row while its objective's other KPIs "
        "do not move is suggested for demotion; default 3.",
        "driver_min_correlation": "Lagged correlation (absolute) from which a metric is suggested as a "
        "driver of a KPI; default 0.6.",
    },
    m.RefreshSettings: {
        "lookback_days": "An incremental refresh recomputes the periods touched in this many days before "
        "the last data it saw, for late data; default 3.",
    },
    m.Source: {
        "url": "Connection URL: duckdb:///path.duckdb, postgresql://user:${PGPASSWORD}@host:5432/db, "
        "mysql://... or mariadb://..., spark://.... ${VAR} and ${VAR:-default} are read from the environment.",
        "description": "What the source holds.",
    },
    m.Calendar: {
        "week_start": "First day of the week for the 'week' grain (default monday, as ISO weeks).",
        "fiscal_year_start": "Month number (1-12) the fiscal year starts in; 4 means April.",
        "fiscal_year_named_by": "Whether FY2026 is the fiscal year that starts in 2026 (start, default) or "
        "ends in 2026 (end).",
    },
    files.ModelFile: {
        "datasets": "Tables or SQL queries, with their keys, dimensions and measures.",
        "metrics": "Metrics: simple, ratio, derived, cumulative, semi_additive or manual.",
        "objectives": "Strategic objectives that KPIs serve; they may cascade through 'parent'.",
        "kpis": "KPIs: metrics tied to an objective, with a target, a timeframe, an owner and a review cadence.",
        "alerts": "Alert rules: who hears when a KPI's status, a value, a change, an anomaly, stale data or a "
        "failed refresh calls for it (docs/alerts.md).",
    },
    m.ManualMetric: {
        **_METRIC_COMMON,
        "type": "manual: values no system holds, entered with 'onpace values import' (or pushed) and kept "
        "in the store.",
        "grain": "Grain the values are entered at (default day).",
        "over_time": "How values add up over a longer period: sum (default), last or avg.",
    },
    goals.Objective: {
        "name": "Unique name of the objective.",
        "label": "Name shown to people, e.g. 'Grow revenue profitably'.",
        "description": "What the objective means and why it matters.",
        "owner": "Person or role accountable for the objective.",
        "priority": "1 is the highest priority.",
        "timeframe": "When the objective should be reached: a period (2026, FY2026) or every month, "
        "quarter, year, fiscal_quarter or fiscal_year.",
        "parent": "The objective this one contributes to.",
        "tags": "Free labels for search and grouping.",
    },
    goals.Kpi: {
        "name": "Unique name of the KPI.",
        "label": "Name shown to people.",
        "description": "What the KPI tells and why it was chosen.",
        "metric": "The metric the KPI measures.",
        "segment": "Restrict the KPI to a segment: a filter on dimensions, e.g. region = 'EUROPE'.",
        "segment_by": "Dimension whose values get their own targets (each target then names its 'segment').",
        "objective": "The objective the KPI serves.",
        "owner": "Person or role accountable for the KPI.",
        "priority": "1 is the highest; KPIs are not all equal (default 3).",
        "weight": "Weight of the KPI in its objective's roll-up status (default 1).",
        "timeframe": "The period the target is for: one period (2026-Q3, FY2026) or recurring "
        "(every month, quarter, year, fiscal_quarter, fiscal_year).",
        "review_cadence": "How often the KPI is reviewed: weekly, monthly, quarterly...",
        "direction": "higher or lower is better; the metric's direction when not given.",
        "accumulation": "flow (the target is a total over the period: revenue) or level (the value itself "
        "must reach the target: a rate); from the metric's type when not given.",
        "target": "The target (at_least, at_most, between or change vs a baseline).",
        "targets": "Several targets: a schedule (each with 'from') and/or one per segment (each with 'segment').",
        "phasing": "How a flow target spreads over the period: linear (default), seasonal (the shape of "
        "the same period in earlier years) or milestones.",
        "status_bands": "Status bands of this KPI, instead of the project's.",
        "drivers": "Metrics that drive this KPI, shown with it.",
        "tags": "Free labels for search and grouping.",
    },
    goals.Timeframe: {
        "every": "A recurring timeframe: month, quarter, year, fiscal_quarter or fiscal_year.",
        "period": "One period: YYYY, YYYY-QN, YYYY-MM, FYYYYY or FYYYYY-QN.",
    },
    goals.Target: {
        "at_least": "Reach at least this value by the end of the period (higher is better).",
        "at_most": "Stay at or below this value (lower is better).",
        "between": "Keep the value within [low, high].",
        "change": "Relative target: a fraction (0.2) or percentage ('+20%') vs the baseline in 'vs'.",
        "vs": "Baseline of a 'change' target: same_period_last_year, previous_period, or a fixed period "
        "({period: 2024-10-01}: the KPI's period that holds that date, the same for every period).",
        "from": "In a schedule: the date from which this target applies (to periods starting on or after it).",
        "segment": "With the KPI's segment_by: the dimension value this target is for.",
        "note": "Why the target is what it is.",
    },
    goals.BaselinePeriod: {
        "period": "A date (2024-10-01): the baseline is the period of the KPI's timeframe that holds it "
        "(2024-Q4 for a quarterly KPI).",
    },
    goals.Milestone: {
        "date": "Date of the milestone (one-period timeframes).",
        "elapsed": "Point of the period, as a fraction of it (0.5 = halfway); for recurring timeframes.",
        "share": "Share of the target expected by then (0 to 1).",
    },
    goals.MilestonePhasing: {
        "milestones": "Points (date or elapsed, share) the expected value passes through.",
    },
    m.Dataset: {
        "name": "Unique name of the dataset in the project.",
        "description": "What one row of the dataset is.",
        "source": "Source the table lives in; the project's default source when not given.",
        "table": "Table (or view) name, optionally with its schema: 'sales.orders'. Give 'table' or 'sql'.",
        "sql": "A SELECT query used as the dataset. Give 'table' or 'sql'.",
        "time": "Default time dimension of the dataset's measures (a dimension with type: time, "
        "of this dataset or reached through a key).",
        "keys": "Entity keys; a key joins this dataset to the dataset where the same key is primary.",
        "dimensions": "Columns or expressions to group and filter by.",
        "measures": "Aggregations of the dataset's rows.",
    },
    m.Key: {
        "name": "Name of the entity, shared by every dataset that holds it (e.g. 'customer').",
        "column": "Column holding the key; the key's name when neither column nor expr is given.",
        "expr": "Expression computing the key, instead of 'column'.",
        "primary": "True when each row of this dataset has a different value: other datasets join to it.",
    },
    m.Dimension: {
        "name": "Unique name of the dimension in the project.",
        "label": "Name shown to people.",
        "description": "What the dimension is.",
        "column": "Column of the dataset; the dimension's name when neither column nor expr is given.",
        "expr": "Expression computing the dimension, instead of 'column'.",
        "type": "categorical (default) or time (a date or timestamp column that metrics are computed over).",
    },
    m.Measure: {
        "name": "Name of the measure, unique in its dataset.",
        "agg": "Aggregation: sum, count, count_distinct, avg, min, max, median or percentile.",
        "expr": "Column or expression to aggregate; 'count' without expr counts rows.",
        "filter": "Condition on the rows, in the expression language; only matching rows are aggregated.",
        "percentile": "For agg percentile: the fraction, strictly between 0 and 1 (0.9 for p90).",
        "description": "What the measure is.",
    },
    m.Format: {
        "kind": "number (default), currency, percent (values are fractions: 0.25 shows as 25%) or duration.",
        "currency": "ISO 4217 code for kind currency, e.g. USD.",
        "decimals": "Number of decimals shown (0-10).",
        "duration_unit": "Unit of the values for kind duration: seconds, minutes, hours or days.",
    },
    m.MetricInput: {
        "metric": "Name of the metric used as an input.",
        "alias": "Name of this input in 'expr'; needed when the same metric is used twice (e.g. with an offset).",
        "offset": "Take the metric's value this long before each period: '1 year', '4 weeks', '1 period'.",
        "filter": "Condition applied to this input only, in the expression language.",
    },
    m.SimpleMetric: {
        **_METRIC_COMMON,
        **_SHARED_MEASURE,
        "type": "simple (the default: may be left out).",
        "agg": "Aggregation, with 'dataset' and 'expr', when the metric does not use a 'measure'.",
        "percentile": "For agg percentile: the fraction, strictly between 0 and 1.",
    },
    m.RatioMetric: {
        **_METRIC_COMMON,
        "type": "ratio: numerator / denominator, each aggregated first at the asked grain and dimensions.",
        "numerator": "Metric divided.",
        "denominator": "Metric divided by; a zero or null denominator gives null.",
        "filter": "Condition applied to both numerator and denominator.",
    },
    m.DerivedMetric: {
        **_METRIC_COMMON,
        "type": "derived: an expression over other metrics.",
        "expr": "Expression over metric names and input aliases, e.g. 'revenue / revenue_last_year - 1'.",
        "inputs": "Metrics used by expr with an alias, an offset or a filter; names used bare in expr need none.",
    },
    m.CumulativeMetric: {
        **_METRIC_COMMON,
        "type": "cumulative: a running total, a trailing window or a grain-to-date total of a simple metric.",
        "metric": "The simple sum, count or count_distinct metric to accumulate.",
        "window": "Trailing window in days, weeks, months, quarters or years, such as '28 days' or '3 months'.",
        "grain_to_date": "Reset at the start of each week, month, quarter, year, fiscal_quarter or fiscal_year.",
    },
    m.ConversionMetric: {
        **_METRIC_COMMON,
        "type": "conversion: base events followed by conversion events of the same entity within a window.",
        "base": "Simple count, sum or count_distinct metric of the base events (visits).",
        "conversion": "Simple count, sum or count_distinct metric of the conversion events (purchases).",
        "entity": "Key both metrics' datasets hold (user): each conversion goes to its latest base event.",
        "window": "How soon after a base event a conversion counts ('7 days', '1 month'); none: any time after.",
        "calculation": "conversion_rate (default): conversions / base; conversions: their aggregate.",
    },
    m.SemiAdditiveMetric: {
        **_METRIC_COMMON,
        **_SHARED_MEASURE,
        "measure": "A sum measure, as 'dataset.measure' or a unique measure name.",
        "expr": "Column or expression to sum (with 'dataset'), instead of 'measure'.",
        "type": "semi_additive: a balance (headcount, inventory) summed over dimensions but not over time.",
        "over_time": "Value of a period: last (default) or first time value in it, or avg over its time values.",
        "per": "Dimensions naming the entity (e.g. [warehouse]) whose own last/first snapshot or average over "
        "its own snapshots is taken in each period, then summed; without it, the period's snapshots over all rows.",
        "by_day": "With 'per', a day's value: level (default; each entity's latest snapshot on or before the day, "
        "carried forward) or snapshots (that day's snapshots only, as MetricFlow's window_groupings).",
    },
}

#: Descriptions of the definition objects and of the enumerations.
DEF_DOCS: dict[str, str] = {
    "ProjectConfig": "onpace.yml: the project's name, data sources, calendar and where the definitions are.",
    "ModelFile": "A definition file under models/: datasets, metrics, objectives and KPIs.",
    "Source": "A data source: where datasets' tables live.",
    "Calendar": "Calendar settings used by every grain.",
    "Dataset": "A table or query, with its keys, dimensions and measures.",
    "Key": "An entity key used to join datasets many-to-one.",
    "Dimension": "Something to group or filter by.",
    "Measure": "An aggregation of a dataset's rows.",
    "Format": "How values are displayed.",
    "MetricInput": "A metric used by a derived metric.",
    "SimpleMetric": "A simple metric: one aggregation of one dataset.",
    "RatioMetric": "A ratio of two metrics, each aggregated before dividing.",
    "DerivedMetric": "An expression over other metrics.",
    "CumulativeMetric": "A running total, trailing window or grain-to-date total.",
    "ConversionMetric": "Base events followed by conversion events of the same entity, within a window.",
    "SemiAdditiveMetric": "A balance: summed over dimensions, not over time.",
    "ManualMetric": "A metric whose values are entered by hand or pushed.",
    "StatusBands": "Attainment thresholds of the on-track and at-risk statuses.",
    "EvaluationSettings": "How KPIs are evaluated.",
    "GovernanceSettings": "Limits and thresholds of 'onpace lint'.",
    "RefreshSettings": "Settings of 'onpace refresh'.",
    "Objective": "A strategic objective.",
    "Kpi": "A KPI: a metric with an objective, a target, a timeframe, an owner and a review cadence.",
    "Timeframe": "One period, or a recurring one.",
    "Target": "A target: at_least, at_most, between, or a change vs a baseline.",
    "BaselinePeriod": "A fixed baseline period of a 'change' target, named by a date in it.",
    "Milestone": "A point of a custom phasing.",
    "MilestonePhasing": "Custom phasing through milestones.",
    "Agg": "An aggregation.",
    "Cadence": "How often a metric is tracked.",
    "Direction": "Whether higher or lower values are better.",
    "Grain": "A period length: day, week, month, quarter, year, fiscal_quarter, fiscal_year.",
}


def project_schema() -> dict[str, Any]:
    """JSON Schema of onpace.yml."""
    return _document(m.ProjectConfig, "onpace project (onpace.yml)")


def models_schema() -> dict[str, Any]:
    """JSON Schema of a definition file under models/."""
    return _document(files.ModelFile, "onpace definitions (datasets, metrics, objectives and KPIs)")


def _document(root: type[BaseModel], title: str) -> dict[str, Any]:
    raw = root.model_json_schema(mode="validation")
    defs: dict[str, Any] = raw.pop("$defs", {})
    raw.pop("title", None)
    by_name = {model.__name__: model for model in FIELD_DOCS}
    for name, definition in defs.items():
        _describe(definition, by_name.get(name), name)
    _describe(raw, root, root.__name__)
    return {"$schema": DRAFT, "title": title, **raw, "$defs": defs}


def _describe(definition: dict[str, Any], model: type[BaseModel] | None, name: str) -> None:
    """Give the definition and each of its properties a description; drop pydantic's generated titles."""
    if name in DEF_DOCS:
        definition["description"] = DEF_DOCS[name]
    docs = FIELD_DOCS.get(model, {}) if model is not None else {}
    for key, prop in definition.get("properties", {}).items():
        prop.pop("title", None)
        field = model.model_fields.get(key) if model is not None else None
        text = docs.get(key) or (field.description if field is not None else None)
        if text:
            prop["description"] = text
        if "patternProperties" in prop:
            prop["additionalProperties"] = False  # names that do not match are errors, as in the loader


def write(out: Path) -> list[Path]:
    """Write both schemas into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for file, schema in ((PROJECT_SCHEMA_FILE, project_schema()), (MODELS_SCHEMA_FILE, models_schema())):
        path = out / file
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def json_ready(value: Any) -> Any:
    """YAML data as JSON sees it: YAML reads 2025-01-01 as a date, JSON (and so the schema) has only the string."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m onpace.catalog.schema",
        description="Write the JSON Schemas of onpace.yml and of the definition files.",
    )
    parser.add_argument("--out", type=Path, default=Path("schema"), help="folder to write into (default: schema)")
    parser.add_argument("--check", action="store_true", help="only check that the files there are up to date")
    args = parser.parse_args(argv)
    if args.check:
        stale = [
            file
            for file, schema in ((PROJECT_SCHEMA_FILE, project_schema()), (MODELS_SCHEMA_FILE, models_schema()))
            if not (args.out / file).exists() or (args.out / file).read_text(encoding="utf-8") != render(schema)
        ]
        for file in stale:
            print(f"{args.out / file} is out of date: run python -m onpace.catalog.schema", file=sys.stderr)
        return 1 if stale else 0
    for path in write(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
