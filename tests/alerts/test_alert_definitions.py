"""Alert rules in YAML: what is accepted, and mistakes reported with the file, the line and the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.errors import DefinitionError

CONFIG = """name: shop
sources: {warehouse: {url: "duckdb:///data/none.duckdb"}}
channels: {inbox: {type: file, folder: outbox}}
"""
GOALS = """metrics:
  - {name: signups, type: manual, grain: day}
objectives:
  - {name: grow, owner: Ana}
kpis:
  - {name: signups_q, metric: signups, objective: grow, owner: Ana, timeframe: quarter,
     review_cadence: monthly, target: {at_least: 1000}}
"""


def load(tmp_path: Path, alerts: str, config: str = CONFIG):
    (tmp_path / "onpace.yml").write_text(config, encoding="utf-8")
    (tmp_path / "models").mkdir(exist_ok=True)
    (tmp_path / "models" / "goals.yml").write_text(GOALS, encoding="utf-8")
    (tmp_path / "models" / "alerts.yml").write_text(alerts, encoding="utf-8")
    return load_project(tmp_path)


def problems(tmp_path: Path, alerts: str, config: str = CONFIG) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load(tmp_path, alerts, config)
    return [
        f"{i.file}:{i.line} {i.message}" + (f" [{i.suggestion}]" if i.suggestion else "") for i in info.value.issues
    ]


def test_a_rule_of_each_kind_loads(tmp_path: Path):
    project = load(
        tmp_path,
        """alerts:
  - {name: a, kind: status, kpi: signups_q, to: off_track, recipients: [channel:inbox], for: 2}
  - {name: b, kind: threshold, metric: signups, above: 10, for: "3 hours", renotify_every: 1 day}
  - {name: c, kind: change, objective: grow, below: "-10%", notify_on_resolve: false}
  - {name: d, kind: anomaly, kpi: signups_q, method: forecast, recipients: [{channel: inbox}]}
  - {name: e, kind: stale, source: warehouse, within: 2 days, flapping: false}
  - {name: f, kind: refresh_error, flapping: {changes: 2, window: 6}}
""",
    )
    a, b, c, d, e, f = project.alerts.values()
    assert a.pending.evaluations == 2 and a.trigger == "off_track" and a.recipients == ["channel:inbox"]
    assert b.pending.duration == dt.timedelta(hours=3) and b.renotify_every == dt.timedelta(days=1)
    assert c.below == pytest.approx(-0.10) and not c.notify_on_resolve and c.scope == "objective:grow"
    assert d.recipients == ["channel:inbox"] and d.anomaly_method == "forecast"
    assert e.stale_after == dt.timedelta(days=2) and e.flapping is None
    assert f.flapping is not None and (f.flapping.changes, f.flapping.window) == (2, 6) and f.scope == "project"


def test_references_are_checked_with_file_and_line(tmp_path: Path):
    found = problems(
        tmp_path,
        """alerts:
  - name: a
    kind: status
    kpi: signup_q
  - name: b
    kind: threshold
    metric: signupz
    above: 1
    recipients: [channel:inbx]
  - name: c
    kind: stale
    source: warehose
  - name: d
    kind: threshold
    metric: signups
    filter: "regio = 'EU'"
    below: 3
  - name: e
    kind: refresh_error
    recipients: [owner]
""",
    )
    assert "models/alerts.yml:4 unknown KPI 'signup_q' in alert 'a' [signups_q]" in found
    assert "models/alerts.yml:7 unknown metric 'signupz' in alert 'b' [signups]" in found
    assert "models/alerts.yml:9 unknown channel 'inbx' in alert 'b' [inbox]" in found
    assert "models/alerts.yml:12 unknown source 'warehose' in alert 'c' [warehouse]" in found
    assert any(p.startswith("models/alerts.yml:16 unknown dimension 'regio'") for p in found)
    assert any(p.startswith("models/alerts.yml:20 alert 'e' sends to 'owner' but watches project") for p in found)
    assert any("has no email channel" in p for p in found)


def test_shape_mistakes(tmp_path: Path):
    found = problems(
        tmp_path,
        """alerts:
  - {name: a, kind: threshold, metric: signups}
  - {name: b, kind: status, kpi: signups_q, metric: signups}
  - {name: c, kind: stale, within: soon}
  - {name: d, kind: anomaly, metric: signups, method: forecast}
  - {name: e, kind: alarm}
  - {name: f, kind: threshold, metric: signups, above: 1, recipients: [sms:123]}
  - {name: g, kind: stale, treshold: 3}
""",
    )
    text = "\n".join(found)
    assert "models/alerts.yml:2 alert 'a' (threshold) needs exactly one of 'above' or 'below'" in text
    assert "models/alerts.yml:3 alert 'b' has kpi and metric" in text
    assert "models/alerts.yml:4 invalid within 'soon'" in text
    assert "models/alerts.yml:5 alert 'd': method 'forecast' needs a KPI" in text
    assert "models/alerts.yml:6 invalid value 'alarm'" in text
    assert "invalid recipient 'sms:123'" in text
    assert "unknown key 'treshold' [threshold]" in text


def test_duplicate_rule_names(tmp_path: Path):
    found = problems(
        tmp_path,
        """alerts:
  - {name: a, kind: refresh_error}
  - {name: a, kind: stale}
""",
    )
    assert found == ["models/alerts.yml:3 duplicate alert name 'a' (first defined in models/alerts.yml:2)"]
