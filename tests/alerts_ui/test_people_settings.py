"""The People panel of the Settings page: admins add, change and delete people with forms (and their CSRF token)."""

from __future__ import annotations

import re

import yaml
from fastapi.testclient import TestClient
from tests.site_fixtures import PASSWORD, Site


def _form_client(site: Site, name: str) -> tuple[TestClient, str]:
    """A browser-like session: the login's cookie, no CSRF header (forms carry the token)."""
    client = TestClient(site.client.app)
    answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return client, answer.json()["csrf_token"]


def _people(html: str) -> list[str]:
    return re.findall(r'data-testid="person" data-person="([^"]+)"', html)


def test_an_admin_adds_edits_and_deletes_a_person(site: Site) -> None:
    config = site.root / "onpace.yml"
    config.write_text(config.read_text(encoding="utf-8") + "people:\n  Maria: {email: maria@shop.example}\n", "utf-8")
    client, csrf = _form_client(site, "admin")
    page = client.get("/settings").text
    assert _people(page) == ["Maria"] and 'data-testid="new-person-form"' in page
    assert "/settings/people/Maria/delete" not in page  # defined in onpace.yml: managed as code

    refused = client.post("/settings/people", data={"name": "Olga", "email": "olga@shop.example"})
    assert refused.status_code == 403  # no CSRF token
    made = client.post(
        "/settings/people",
        data={"csrf_token": csrf, "name": "Olga", "email": "olga@shop.example", "user": "editor", "slack": "@olga"},
        follow_redirects=False,
    )
    assert made.status_code == 303 and made.headers["location"] == "/settings#people"
    written = yaml.safe_load((site.root / "models" / "app.yml").read_text(encoding="utf-8"))
    assert written["people"] == [{"email": "olga@shop.example", "user": "editor", "slack": "@olga", "name": "Olga"}]
    page = client.get("/settings").text
    assert _people(page) == ["Maria", "Olga"] and "/settings/people/Olga/delete" in page

    edited = client.post("/settings/people/Olga/edit", data={"csrf_token": csrf, "email": "o@shop.example"})
    assert edited.status_code == 200, edited.text  # followed to the page
    written = yaml.safe_load((site.root / "models" / "app.yml").read_text(encoding="utf-8"))
    assert written["people"] == [{"email": "o@shop.example", "name": "Olga"}]

    gone = client.post("/settings/people/Olga/delete", data={"csrf_token": csrf})
    assert gone.status_code == 200 and _people(gone.text) == ["Maria"]


def test_a_refused_person_is_shown_escaped_and_the_form_keeps_what_was_typed(site: Site) -> None:
    client, csrf = _form_client(site, "admin")
    typed = {"csrf_token": csrf, "name": "Olga <b>", "email": "<b>olga", "user": "olga", "slack": "@olga"}
    bad = client.post("/settings/people", data=typed)
    assert bad.status_code == 422
    assert 'data-testid="person-error"' in bad.text and "&lt;b&gt;olga" in bad.text
    assert "<b>" not in bad.text
    assert 'value="Olga &lt;b&gt;"' in bad.text and 'value="@olga"' in bad.text
    assert not (site.root / "models" / "app.yml").exists()
    again = client.post("/settings/people", data={**typed, "name": "Olga", "email": "olga@shop.example"})
    assert again.status_code == 200
    taken = client.post("/settings/people", data={**typed, "name": "Olga", "email": "olga@shop.example"})
    assert taken.status_code == 409 and "exists already" in taken.text


def test_people_are_for_admins(site: Site) -> None:
    client, csrf = _form_client(site, "strategist")
    assert client.get("/settings").status_code == 403
    answer = client.post("/settings/people", data={"csrf_token": csrf, "name": "Olga"})
    assert answer.status_code == 403
    assert not (site.root / "models" / "app.yml").exists()
