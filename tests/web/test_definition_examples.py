"""The examples of the Alerts and Reports pages' editors save as they are, in the project shown.

Found by probing the served demo: the new rule's example named the KPI ``quarterly_revenue`` and the
recipient ``owner``, which needs an email channel: in the demo, whose one channel is a folder
(``inbox``), saving it unchanged answered 422 "no email channel". The examples now use the
project's own first KPI and objective, and its first channel where no email channel reaches owners.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from onpace.catalog.project import load_project
from onpace.web.routes import alerts as alert_routes
from onpace.web.routes import reports as report_routes


@pytest.fixture
def demo_definitions(tmp_path: Path) -> Path:
    shutil.copytree(Path(str(resources.files("onpace.examples") / "demo")), tmp_path / "demo")
    return tmp_path / "demo"


def test_the_examples_are_valid_definitions_of_the_demo(demo_definitions: Path) -> None:
    project = load_project(demo_definitions)
    rule = yaml.safe_load(alert_routes.example(project))
    report = yaml.safe_load(report_routes.example(project))
    assert rule["recipients"] == report["recipients"] == ["channel:inbox"]  # the demo's only channel, a folder
    assert rule["kpi"] == next(iter(project.kpis)) and report["audience"]["objective"] == next(iter(project.objectives))
    (demo_definitions / "models" / "app.yml").write_text(
        yaml.safe_dump({"alerts": [rule], "reports": [report]}, sort_keys=False), encoding="utf-8"
    )
    reloaded = load_project(demo_definitions)  # a DefinitionError if either does not validate
    assert rule["name"] in reloaded.alerts and report["name"] in reloaded.reports


def test_with_an_email_channel_the_owner_is_the_recipient(demo_definitions: Path) -> None:
    config = demo_definitions / "onpace.yml"
    text = config.read_text(encoding="utf-8").replace(
        "channels:\n",
        "channels:\n  mail:\n    type: email\n    host: smtp.example.com\n    from: onpace@example.com\n",
        1,
    )
    config.write_text(text, encoding="utf-8")
    project = load_project(demo_definitions)
    assert yaml.safe_load(alert_routes.example(project))["recipients"] == ["owner"]
