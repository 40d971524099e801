"""The people API: admins list, add, change and remove people; those made here are kept in models/app.yml."""

from __future__ import annotations

import pytest
import yaml
from tests.site_fixtures import Site


def test_an_admin_adds_changes_and_removes_a_person(site: Site) -> None:
    admin = site.login("admin")
    made = admin.post("/api/people", json={"name": "Head of Sales", "email": "sam@shop.example", "slack": "@sam"})
    assert made.status_code == 201, made.text
    assert made.json() == {
        "name": "Head of Sales",
        "email": "sam@shop.example",
        "user": None,
        "slack": "@sam",
        "file": "models/app.yml",
    }
    written = yaml.safe_load((site.root / "models" / "app.yml").read_text(encoding="utf-8"))
    assert written["people"] == [{"email": "sam@shop.example", "slack": "@sam", "name": "Head of Sales"}]
    assert [p["name"] for p in admin.get("/api/people").json()] == ["Head of Sales"]

    taken = admin.post("/api/people", json={"name": "Head of Sales"})
    assert taken.status_code == 409 and "exists already" in taken.text

    changed = admin.put("/api/people/Head of Sales", json={"email": "s@shop.example", "user": "editor"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["email"], changed.json()["user"], changed.json()["slack"]) == (
        "s@shop.example",
        "editor",
        None,
    )

    bad = admin.post("/api/people", json={"name": "Olga", "email": "olga"})
    assert bad.status_code == 422 and "is not an email address" in bad.text
    blank = admin.post("/api/people", json={"name": "   "})  # was 201, kept in models/app.yml
    assert blank.status_code == 422 and "a person's name is empty" in blank.text, blank.text
    assert [p["name"] for p in admin.get("/api/people").json()] == ["Head of Sales"]

    gone = admin.delete("/api/people/Head of Sales")
    assert gone.status_code == 204
    assert admin.get("/api/people").json() == []


def test_a_person_of_onpace_yml_is_listed_and_refused(site: Site) -> None:
    config = site.root / "onpace.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "people:\n  Maria: {email: maria@shop.example}\n", encoding="utf-8"
    )
    admin = site.login("admin")
    [maria] = admin.get("/api/people").json()
    assert (maria["name"], maria["file"]) == ("Maria", "onpace.yml")
    refused = admin.put("/api/people/Maria", json={"email": "m@shop.example"})
    assert refused.status_code == 409 and "managed as code" in refused.text
    assert admin.delete("/api/people/Maria").status_code == 409


def test_an_unknown_person_is_404(site: Site) -> None:
    admin = site.login("admin")
    assert admin.put("/api/people/Nobody", json={}).status_code == 404
    missing = admin.delete("/api/people/Nobody")
    assert missing.status_code == 404 and "no person named 'Nobody'" in missing.text


@pytest.mark.parametrize("role", ["viewer", "strategist"])
def test_people_are_for_admins(site: Site, role: str) -> None:
    client = site.login(role)
    assert client.get("/api/people").status_code == 403
    assert client.post("/api/people", json={"name": "Olga"}).status_code == 403
    assert client.delete("/api/people/Olga").status_code == 403
    assert not (site.root / "models" / "app.yml").exists()
