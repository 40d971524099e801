"""schemathesis against the OpenAPI schema, in process, as an admin with a token.

- Every operation declares a typed answer: a 2xx with a JSON schema that names its fields (a
  204 has no body, by definition), and typed error answers.
- Real answers conform: every operation called as an admin on the refreshed TPC-H site with
  real names (a KPI, a metric, an objective, a run), after notes and a review were added, so the
  bodies checked are full ones; each answer is validated against its operation's schema.
- Generated requests (valid and invalid bodies, paths and query strings): whatever they ask,
  the answer is never a 5xx, and every answer, success or error, conforms to the schema.
  Writes land in the test's own copy of the site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from tests.api.conftest import Site

CHECKS = [not_a_server_error, response_schema_conformance]
KPI = "quarterly_revenue"
METRIC = "revenue"
OBJECTIVE = "grow_sales"
ALERT = "revenue_watch"
ALERT_RULES = f"alerts:\n  - {{name: {ALERT}, kind: threshold, kpi: {KPI}, value: actual, below: 1.0e+15}}\n"
REPORT = "ops_pack"
REPORTS = f"reports:\n  - {{name: {REPORT}, audience: {{kpis: [on_time_delivery]}}, recipients: [channel:inbox], formats: [csv]}}\n"


@pytest.fixture(scope="module")
def token_site(tpch_site_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, str]]:
    import shutil

    from fastapi.testclient import TestClient
    from tests.api.conftest import settings_for

    from onpace.server import create_app
    from onpace.services import alerts, auth
    from onpace.services.scheduler.loop import Scheduler
    from onpace.services.workspace import Workspace
    from onpace.store import outbox

    root = tmp_path_factory.mktemp("fuzz") / "tpch"
    shutil.copytree(tpch_site_template, root)
    (root / "models" / "alerts.yml").write_text(ALERT_RULES, encoding="utf-8")
    (root / "models" / "reports.yml").write_text(REPORTS, encoding="utf-8")
    with (root / "onpace.yml").open("a", encoding="utf-8") as config:  # a scheduled job, a channel
        config.write(
            "\nschedule:\n  jobs:\n    heartbeat: {every: 1 hour}\nchannels:\n  inbox: {type: file, folder: outbox}\n"
        )
    workspace = Workspace(root, settings_for(root))
    alerts.evaluate_alerts(workspace.project(), workspace.store)  # full answers: a rule with its series, history
    now = [dt.datetime.now(dt.UTC)]
    scheduler = Scheduler(workspace, clock=lambda: now[0])
    now[0] += dt.timedelta(hours=1, seconds=1)
    scheduler.run_pending()  # an hour after it started, the job's first tick is due: the job history has a run
    scheduler.stop(grace=30)
    with workspace.store.session() as s:  # the outbox has a message
        outbox.enqueue(s, channel="inbox", to=None, subject="a subject", text="a text", key="fuzz-1", origin="test")
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


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        found: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        schema = found
    return schema


def _typed(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether a schema names its fields: an object with properties, an array of such, or a choice of them."""
    schema = _resolve(document, schema)
    if "anyOf" in schema or "oneOf" in schema:
        return all(_typed(document, s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    if schema.get("type") == "array":
        return _typed(document, schema.get("items", {}))
    return schema.get("type") == "object" and bool(schema.get("properties"))


def test_every_operation_declares_a_typed_answer(token_site: tuple[Site, str]) -> None:
    site, token = token_site
    document = site.client.get("/api/openapi.json", headers={"Authorization": f"Bearer {token}"}).json()
    untyped = []
    operations = 0
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            operations += 1
            where = f"{method.upper()} {path}"
            answers = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
            if len(answers) != 1:
                untyped.append(f"{where}: {len(answers)} success answers")
                continue
            ((code, answer),) = answers.items()
            content = answer.get("content", {})
            if code == "204":  # No Content: the one success answer without a body
                if content:
                    untyped.append(f"{where}: a 204 with a body")
                continue
            schema = content.get("application/json", {}).get("schema")
            if not schema or not _typed(document, schema):
                untyped.append(f"{where}: {code} answers {schema or 'an untyped body'}")
            errors = operation["responses"].get("4XX", {}).get("content", {}).get("application/json", {})
            if errors.get("schema") != {"$ref": "#/components/schemas/ErrorBody"}:
                untyped.append(f"{where}: no typed error answer")
    assert operations > 45
    assert not untyped, "operations without a typed answer:\n" + "\n".join(untyped)


def _path_parameters(run_id: int) -> dict[str, Any]:
    return {"name": KPI, "run_id": run_id}


def test_real_answers_conform_to_the_schema(api_schema: Any, token_site: tuple[Site, str]) -> None:
    """Every GET (and the notes and review written first) with real names: full bodies, each one valid."""
    site, token = token_site
    auth = {"Authorization": f"Bearer {token}"}
    run_id = site.client.get("/api/runs", headers=auth).json()[0]["id"]
    message_id = site.client.get("/api/outbox", headers=auth).json()[0]["id"]
    writes = [
        ("/api/kpis/{name}/comments", {"name": KPI}, {"body": "a comment"}),
        ("/api/metrics/{name}/comments", {"name": METRIC}, {"body": "a comment"}),
        ("/api/kpis/{name}/annotations", {"name": KPI}, {"date": "1998-07-01", "label": "a campaign"}),
        ("/api/metrics/{name}/annotations", {"name": METRIC}, {"date": "1998-07-01", "label": "a campaign"}),
        ("/api/kpis/{name}/reviews", {"name": KPI}, {"assessment": "at_risk", "commentary": "slow start"}),
        ("/api/people", {}, {"name": "Maria Lopez", "email": "maria@shop.example"}),
    ]
    for path, parameters, body in writes:
        case = api_schema[path]["POST"].Case(path_parameters=parameters, body=body, media_type="application/json")
        answer = case.call_and_validate(headers=auth, checks=CHECKS)
        assert answer.status_code == 201, (path, answer.text)

    names = {
        "/api/metrics/": METRIC,
        "/api/objectives/": OBJECTIVE,
        "/api/kpis/": KPI,
        "/api/alerts/": ALERT,
        "/api/reports/": REPORT,
    }
    extra_queries = {"/api/metrics/{name}/observations": [{"by": "region"}]}  # the breakdown's answer too
    checked = []
    # no period is over; no target change yet; the report was never sent
    may_be_empty = {"/api/kpis/{name}/periods", "/api/kpis/{name}/targets", "/api/reports/{name}/runs"}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET":
            continue
        path = operation.path
        parameters = {"run_id": run_id} if "{run_id}" in path else {}
        if "{message_id}" in path:
            parameters["message_id"] = message_id
        if "{name}" in path:
            parameters["name"] = next(v for prefix, v in names.items() if path.startswith(prefix))
        for query in [{}, *extra_queries.get(path, [])]:
            case = operation.Case(path_parameters=parameters, query=query)
            answer = case.call_and_validate(headers=auth, checks=CHECKS)
            assert answer.status_code == 200, (path, query, answer.text)
            assert answer.json() or path in may_be_empty, f"{path} answered an empty body"
            checked.append(path)
    assert len(set(checked)) >= 25


def test_no_server_errors_and_every_answer_conforms(api_schema: Any, token_site: tuple[Site, str]) -> None:
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
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        call()
        tried += 1
    assert tried == len(operations) - len(SKIP)
