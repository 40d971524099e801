"""Alert rules: the ``alerts:`` key of a model file (docs/alerts.md).

A rule has a *kind* (what it watches for), a *scope* (what it watches: one KPI, an
objective's KPIs, a metric with an optional filter, a source, or the project), its
*recipients* and the settings of its state machine (pending, re-notify, resolution
messages, flapping). References (KPIs, objectives, metrics, sources, channels, people)
are checked by :mod:`onpace.catalog.validate_alerts`, with the file and line.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from onpace.calendar import Grain
from onpace.catalog.base import Identifier, Model, NameText

AlertKind = Literal["status", "threshold", "change", "anomaly", "stale", "refresh_error"]
KINDS: tuple[str, ...] = ("status", "threshold", "change", "anomaly", "stale", "refresh_error")
StatusTrigger = Literal["at_risk", "off_track", "worse"]
KpiValue = Literal["actual", "attainment", "forecast", "probability", "expected_to_date"]
NoData = Literal["no_data", "keep", "ok", "alerting"]

_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(m|min|mins|minute|minutes|h|hour|hours|d|day|days|w|week|weeks)\s*$", re.IGNORECASE
)
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PERCENT = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")
DURATION_FORMS = "a duration such as '30 minutes', '6 hours', '2 days' or '1 week'"
RECIPIENT_FORMS = "owner, channel:NAME, user:LOGIN or person:NAME (or {channel: NAME}, {user: LOGIN}, {person: NAME})"


def parse_duration(value: Any, what: str = "duration") -> dt.timedelta:
    """'2 days', '6h', '30 minutes', '1 week' as a timedelta; ValueError naming ``what`` otherwise."""
    if isinstance(value, dt.timedelta):
        return value
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"invalid {what} {value!r}; expected {DURATION_FORMS}")
    unit = match.group(2).lower()
    seconds = float(match.group(1)) * _UNITS["m" if unit.startswith("mi") or unit == "m" else unit[0]]
    if seconds <= 0:
        raise ValueError(f"invalid {what} {value!r}; expected a duration above zero")
    return dt.timedelta(seconds=seconds)


def duration_text(delta: dt.timedelta) -> str:
    """A duration in words, the way a rule writes it: '2 days', '6 hours', '90 minutes'."""
    seconds = int(delta.total_seconds())
    for unit, size in (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


_DURATION_SCHEMA = WithJsonSchema({"type": "string", "description": DURATION_FORMS})


class Pending(Model):
    """How long the condition must hold before the rule fires: N evaluations, or a duration."""

    evaluations: int | None = Field(default=None, ge=1)
    duration: Annotated[dt.timedelta | None, _DURATION_SCHEMA] = None


def _percent(value: Any, key: str) -> Any:
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match is None:
            raise ValueError(f"invalid {key} {value!r}; expected a number, or a percentage such as '-10%'")
        return float(match.group(1)) / 100
    return value


class Flapping(Model):
    """A series that changes state (firing <-> not firing) more than ``changes`` times within the last
    ``window`` evaluations is *flapping*: it is held firing and gets one message saying so."""

    changes: int = Field(default=4, ge=1, description="state changes allowed within the window")
    window: int = Field(default=10, ge=2, description="the last N evaluations")


class AlertRule(Model):
    """One alert rule (docs/alerts.md)."""

    name: Identifier = Field(description="The rule's name: lower-case letters, digits and underscores.")
    label: str | None = Field(default=None, description="The rule's title in messages and pages.")
    description: str | None = Field(default=None, description="What the rule is for.")
    kind: AlertKind = Field(description="status, threshold, change, anomaly, stale or refresh_error (docs/alerts.md).")

    # -- the scope: at most one of kpi, objective, metric, source; none is the whole project
    kpi: Identifier | None = Field(default=None, description="Watch one KPI (each of its segments).")
    objective: Identifier | None = Field(
        default=None, description="Watch every KPI of an objective and of the objectives under it."
    )
    metric: Identifier | None = Field(default=None, description="Watch a metric's stored series.")
    source: Identifier | None = Field(default=None, description="Watch a source (stale, refresh_error).")
    segment: str | None = Field(
        default=None, description="with kpi: one segment value of a KPI with segment_by (default: every one)"
    )
    filter: str | None = Field(default=None, description="with metric: a filter on dimensions, e.g. region = 'EU'")
    grain: Grain | None = Field(default=None, description="with metric: the series' grain (default day)")

    # -- the condition
    to: StatusTrigger | None = Field(default=None, description="status: at_risk (or worse), off_track, worse")
    value: KpiValue | None = Field(default=None, description="threshold on a KPI: which of its numbers")
    above: float | None = Field(
        default=None, description="threshold: fires above this number; change: above this % ('+50%')."
    )
    below: float | None = Field(
        default=None, description="threshold: fires below this number; change: below this % ('-30%')."
    )
    method: Literal["zscore", "forecast"] | None = Field(
        default=None, description="anomaly: zscore (robust, on the daily series; default) or forecast (KPIs)."
    )
    threshold: float | None = Field(default=None, gt=0, description="anomaly (zscore): |z| above it (3.5)")
    window: int | None = Field(default=None, ge=5, description="anomaly (zscore): days before the value (28)")
    within: Annotated[dt.timedelta | None, _DURATION_SCHEMA] = Field(
        default=None, description="stale: the longest time without a new day of data (2 days)"
    )

    # -- who hears about it
    recipients: list[str] = Field(default_factory=list, description=RECIPIENT_FORMS)

    # -- the state machine
    pending: Annotated[Pending, WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}]})] = Field(
        default_factory=Pending,
        alias="for",
        description="How long the condition holds before the rule fires: N evaluations, or a duration.",
    )
    notify_on_resolve: bool = Field(default=True, description="A message when the series resolves.")
    renotify_every: Annotated[dt.timedelta | None, _DURATION_SCHEMA] = Field(
        default=None, description="While firing, a reminder this often (a duration)."
    )
    flapping: Flapping | None = Field(
        default_factory=Flapping,
        description="Hold a series that changes state too often (default 4 changes in 10 evaluations); false: off.",
    )
    no_data: NoData = Field(
        default="no_data", description="Without data: no_data (a state of its own), keep, ok or alerting."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("pending", mode="before")
    @classmethod
    def _pending(cls, value: Any) -> Any:
        if value is None:
            return Pending()
        if isinstance(value, bool):
            raise ValueError(f"invalid for {value!r}; expected a number of evaluations (2) or {DURATION_FORMS}")
        if isinstance(value, int):
            if value < 0:
                raise ValueError(f"invalid for {value}; expected 0 or more evaluations")
            return Pending(evaluations=value or None)
        if isinstance(value, str):
            text = value.strip()
            words = text.split()
            if len(words) == 2 and words[0].isdigit() and words[1] in ("evaluation", "evaluations"):
                return Pending(evaluations=int(words[0]) or None)
            return Pending(duration=parse_duration(text, "for"))
        return value

    @field_validator("within", "renotify_every", mode="before")
    @classmethod
    def _duration(cls, value: Any, info: Any) -> Any:
        return None if value is None else parse_duration(value, info.field_name)

    @field_validator("above", "below", mode="before")
    @classmethod
    def _percentages(cls, value: Any, info: Any) -> Any:
        return _percent(value, info.field_name)

    @field_validator("flapping", mode="before")
    @classmethod
    def _flapping(cls, value: Any) -> Any:
        if value is False:
            return None
        if value is True:
            return Flapping()
        return value

    @field_validator("recipients", mode="before")
    @classmethod
    def _recipients(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [recipient(item) for item in value]

    @model_validator(mode="after")
    def _shape(self) -> AlertRule:
        scopes = [k for k in ("kpi", "objective", "metric", "source") if getattr(self, k) is not None]
        if len(scopes) > 1:
            raise ValueError(
                f"alert '{self.name}' has {' and '.join(scopes)}; expected at most one scope "
                "(kpi, objective, metric or source; none watches the whole project)"
            )
        if self.segment is not None and self.kpi is None:
            raise ValueError(f"alert '{self.name}': 'segment' goes with 'kpi'; expected 'filter' with a metric")
        if (self.filter is not None or self.grain is not None) and self.metric is None:
            raise ValueError(f"alert '{self.name}': 'filter' and 'grain' go with 'metric'")
        _KIND_CHECKS[self.kind](self)
        return self

    # -- what a rule means -----------------------------------------------------------------------
    @property
    def scope(self) -> str:
        """kpi:NAME, objective:NAME, metric:NAME, source:NAME or project."""
        for key in ("kpi", "objective", "metric", "source"):
            if getattr(self, key) is not None:
                return f"{key}:{getattr(self, key)}"
        return "project"

    @property
    def trigger(self) -> str:
        return self.to or "at_risk"

    @property
    def series_grain(self) -> Grain:
        return self.grain or Grain.day

    @property
    def kpi_value(self) -> str:
        return self.value or "actual"

    @property
    def anomaly_method(self) -> str:
        return self.method or "zscore"

    @property
    def z_threshold(self) -> float:
        return self.threshold or 3.5

    @property
    def z_window(self) -> int:
        return self.window or 28

    @property
    def stale_after(self) -> dt.timedelta:
        return self.within or dt.timedelta(days=2)


def recipient(item: Any) -> Any:
    """'owner', 'channel:inbox', {channel: inbox}, {user: ana} -> one string form."""
    if isinstance(item, dict):
        if len(item) != 1:
            raise ValueError(f"invalid recipient {item!r}; expected {RECIPIENT_FORMS}")
        ((key, name),) = item.items()
        item = f"{key}:{name}"
    if not isinstance(item, str):
        raise ValueError(f"invalid recipient {item!r}; expected {RECIPIENT_FORMS}")
    text = item.strip()
    if text == "owner":
        return text
    kind, sep, name = text.partition(":")
    if not sep or kind.strip() not in ("channel", "user", "person") or not name.strip():
        raise ValueError(f"invalid recipient {item!r}; expected {RECIPIENT_FORMS}")
    return f"{kind.strip()}:{name.strip()}"


def _needs(rule: AlertRule, kind: str, needed: str) -> ValueError:
    return ValueError(f"alert '{rule.name}' ({kind}) needs {needed}")


def _not(rule: AlertRule, keys: tuple[str, ...]) -> None:
    given = [k for k in keys if getattr(rule, k) is not None]
    if given:
        raise ValueError(f"alert '{rule.name}' ({rule.kind}) does not use '{given[0]}'")


def _check_status(rule: AlertRule) -> None:
    if rule.kpi is None and rule.objective is None:
        raise _needs(rule, "status", "a KPI or an objective ('kpi: NAME' or 'objective: NAME')")
    _not(rule, ("value", "above", "below", "method", "threshold", "window", "within"))


def _one_bound(rule: AlertRule) -> None:
    if (rule.above is None) == (rule.below is None):
        raise _needs(rule, rule.kind, "exactly one of 'above' or 'below'")


def _check_threshold(rule: AlertRule) -> None:
    if rule.kpi is None and rule.objective is None and rule.metric is None:
        raise _needs(rule, "threshold", "a KPI, an objective or a metric")
    _one_bound(rule)
    if rule.value is not None and rule.metric is not None:
        raise ValueError(f"alert '{rule.name}': 'value' chooses a KPI's number; a metric's rule watches its value")
    _not(rule, ("to", "method", "threshold", "window", "within"))


def _check_change(rule: AlertRule) -> None:
    if rule.kpi is None and rule.objective is None and rule.metric is None:
        raise _needs(rule, "change", "a KPI, an objective or a metric")
    _one_bound(rule)
    _not(rule, ("to", "value", "method", "threshold", "window", "within"))


def _check_anomaly(rule: AlertRule) -> None:
    if rule.kpi is None and rule.objective is None and rule.metric is None:
        raise _needs(rule, "anomaly", "a KPI, an objective or a metric")
    if rule.method == "forecast" and rule.metric is not None:
        raise ValueError(f"alert '{rule.name}': method 'forecast' needs a KPI (a metric has no forecast)")
    if rule.method == "forecast" and (rule.threshold is not None or rule.window is not None):
        raise ValueError(f"alert '{rule.name}': 'threshold' and 'window' go with method 'zscore'")
    _not(rule, ("to", "value", "above", "below", "within"))


def _check_stale(rule: AlertRule) -> None:
    _not(rule, ("to", "value", "above", "below", "method", "threshold", "window"))


def _check_refresh_error(rule: AlertRule) -> None:
    if rule.kpi is not None or rule.objective is not None or rule.metric is not None:
        raise ValueError(
            f"alert '{rule.name}' (refresh_error) watches a source or the project; expected 'source: NAME' or none"
        )
    _not(rule, ("to", "value", "above", "below", "method", "threshold", "window", "within"))


_KIND_CHECKS = {
    "status": _check_status,
    "threshold": _check_threshold,
    "change": _check_change,
    "anomaly": _check_anomaly,
    "stale": _check_stale,
    "refresh_error": _check_refresh_error,
}

__all__ = ["KINDS", "AlertKind", "AlertRule", "Flapping", "NameText", "Pending", "duration_text", "parse_duration"]
