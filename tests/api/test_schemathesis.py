"""schemathesis against the OpenAPI schema, in process, as an admin with a token: no server errors.

Every operation gets generated requests (valid and invalid bodies, paths and query strings);
whatever they ask, the answer must not be a 5xx. Writes land in the test's own copy of the site.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from tests.api.conftest import Site


@pytest.fixture(scope="module")
def token_site(tpch_site_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, str]]:
    import shutil

    from fastapi.testclient import TestClient
    from tests.api.conftest import settings_for

    from onpace.server import create_app
    from onpace.services import auth
    from onpace.services.workspace import Workspace

    root = tmp_path_factory.mktemp("fuzz") / "tpch"
    shutil.copytree(tpch_site_template, root)
    workspace = Workspace(root, settings_for(root))
    app = create_app(workspace)
    token = auth.create_token(workspace.store, "admin", "schemathesis", actor="test").token
    with TestClient(app) as client:
        yield Site(root, workspace, client), token


@pytest.fixture(scope="module")
def api_schema(token_site: tuple[Site, str]) -> Any:
    site, token = token_site
    return schemathesis.openapi.from_asgi(
        "/api/openapi.json", site.client.app, headers={"Authorization": f"Bearer {token}"}
    )


SKIP = {("POST", "/api/logout"), ("DELETE", "/api/tokens/{token_id}")}  # would end this run's own token


def test_no_server_errors(api_schema: Any, token_site: tuple[Site, str]) -> None:
    """Each operation in turn (schemathesis' strategies driven by hypothesis directly)."""
    _, token = token_site
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 40
    tried = 0
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIP:
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])

        call()
        tried += 1
    assert tried == len(operations) - len(SKIP)
