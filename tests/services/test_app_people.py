"""People made in the web app or the API are kept as code in models/app.yml, beside those of onpace.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from onpace.catalog.project import load_project
from onpace.errors import ConflictError, DefinitionError, NotFoundError
from onpace.examples.tpch_data import copy_project
from onpace.services import app_definitions, delivery
from onpace.store.db import Store

APP = Path("models") / "app.yml"
CHANNELS = (
    "channels:\n  mail: {type: email, to: [ops@shop.example]}\n"
    "people:\n  Head of Sales: {email: sales@shop.example, user: sam}\n"
)


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    root = tmp_path / "tpch"
    copy_project(root, 1)
    config = root / "onpace.yml"
    config.write_text(config.read_text(encoding="utf-8") + CHANNELS, encoding="utf-8")
    return root


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'store.db'}").ensure_current()


def test_a_person_made_in_the_app_is_written_as_code_and_reached_as_owner(project_dir: Path, store: Store) -> None:
    person = {"name": "Head of Operations", "email": "olga@shop.example", "slack": "@olga", "user": None}
    changed = app_definitions.save(load_project(project_dir), store, "person", person, actor="ana", create=True)
    assert changed.config.people["Head of Operations"].email == "olga@shop.example"
    assert app_definitions.managed_by_app(changed, "person", "Head of Operations")
    assert not app_definitions.managed_by_app(changed, "person", "Head of Sales")
    written = yaml.safe_load((project_dir / APP).read_text(encoding="utf-8"))
    assert written == {"people": [{"email": "olga@shop.example", "slack": "@olga", "name": "Head of Operations"}]}
    reloaded = load_project(project_dir)
    assert set(app_definitions.defined(reloaded, "person")) == {"Head of Sales", "Head of Operations"}
    found = delivery.resolve_recipients(reloaded, ["owner"], kpi_owner="Head of Operations")
    assert found == [("mail", "olga@shop.example")]


def test_a_person_of_onpace_yml_is_managed_as_code(project_dir: Path, store: Store) -> None:
    project = load_project(project_dir)
    with pytest.raises(ConflictError) as info:
        app_definitions.save(
            project, store, "person", {"name": "Head of Sales", "email": "x@shop.example"}, actor="ana", create=False
        )
    assert "onpace.yml" in str(info.value)
    with pytest.raises(ConflictError):
        app_definitions.delete(project, store, "person", "Head of Sales", actor="ana")
    with pytest.raises(ConflictError) as taken:
        app_definitions.save(project, store, "person", {"name": "Head of Sales"}, actor="ana", create=True)
    assert "exists already (in onpace.yml)" in str(taken.value)
    assert not (project_dir / APP).exists()


def test_a_bad_email_is_refused_and_nothing_is_written(project_dir: Path, store: Store) -> None:
    with pytest.raises(DefinitionError) as info:
        app_definitions.save(
            load_project(project_dir), store, "person", {"name": "Olga", "email": "olga"}, actor="ana", create=True
        )
    assert "'olga' is not an email address" in str(info.value)
    assert not (project_dir / APP).exists()


def test_a_name_defined_twice_names_both_places(project_dir: Path) -> None:
    (project_dir / "models" / "team.yml").write_text(
        "people:\n  - {name: Olga, email: olga@shop.example}\n  - name: Head of Sales\n", encoding="utf-8"
    )
    (project_dir / "models" / "zz.yml").write_text("people:\n  - {name: Olga}\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_project(project_dir)
    text = str(info.value)
    lines = (project_dir / "onpace.yml").read_text(encoding="utf-8").splitlines()
    sales_line = lines.index("  Head of Sales: {email: sales@shop.example, user: sam}") + 1
    assert f"duplicate person name 'Head of Sales' (first defined in onpace.yml:{sales_line})" in text
    assert "models/team.yml:3" in text
    assert "duplicate person name 'Olga' (first defined in models/team.yml:2)" in text
    assert "models/zz.yml:2" in text


def test_delete_and_update_a_person_made_in_the_app(project_dir: Path, store: Store) -> None:
    project = app_definitions.save(
        load_project(project_dir), store, "person", {"name": "Olga", "user": "olga"}, actor="ana", create=True
    )
    project = app_definitions.save(
        project, store, "person", {"name": "Olga", "email": "o@shop.example"}, actor="ana", create=False
    )
    assert project.config.people["Olga"].email == "o@shop.example"
    assert project.config.people["Olga"].user is None
    project = app_definitions.delete(project, store, "person", "Olga", actor="ana")
    assert set(project.config.people) == {"Head of Sales"}
    with pytest.raises(NotFoundError):
        app_definitions.delete(project, store, "person", "Olga", actor="ana")
