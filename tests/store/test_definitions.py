"""Applied definitions: upsert says added/changed/unchanged; (kind, name) is unique."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from onpace.store import Store
from onpace.store.definitions import delete_definition, get_definition, list_definitions, upsert_definition
from onpace.store.models import AppliedDefinition, DefinitionKind

BODY = {"name": "revenue", "measure": "orders.amount", "filters": ["status = 'paid'"], "meta": {"owner": "cfo"}}
HASH_A = "a" * 64
HASH_B = "b" * 64


def test_upsert_adds_then_reports_unchanged_then_changed(store: Store) -> None:
    with store.session() as s:
        assert upsert_definition(s, "metric", "revenue", BODY, "models/sales.yml", HASH_A, "yaml", "alice") == "added"
    with store.session() as s:
        first = get_definition(s, "metric", "revenue")
        assert first is not None
        applied_at = first.applied_at
        assert upsert_definition(s, "metric", "revenue", BODY, "models/sales.yml", HASH_A, "yaml", "bob") == "unchanged"
    with store.session() as s:
        same = get_definition(s, "metric", "revenue")
        assert same is not None
        assert (same.applied_at, same.applied_by) == (applied_at, "alice")  # an unchanged apply is not recorded

        changed = {**BODY, "measure": "orders.net_amount"}
        assert (
            upsert_definition(s, "metric", "revenue", changed, "models/sales.yml", HASH_B, "yaml", "bob") == "changed"
        )
    with store.session() as s:
        row = get_definition(s, "metric", "revenue")
        assert row is not None
        assert row.body == changed
        assert (row.yaml_hash, row.applied_by) == (HASH_B, "bob")
        assert row.applied_at > applied_at
        assert len(list_definitions(s)) == 1


def test_a_new_file_hash_alone_is_recorded_but_not_a_change(store: Store) -> None:
    with store.session() as s:
        upsert_definition(s, "metric", "revenue", BODY, "models/sales.yml", HASH_A, "yaml", "alice")
        assert upsert_definition(s, "metric", "revenue", BODY, "models/sales.yml", HASH_B, "yaml", "bob") == "unchanged"
        row = get_definition(s, "metric", "revenue")
        assert row is not None
        assert row.yaml_hash == HASH_B


def test_a_move_to_another_file_or_origin_is_a_change(store: Store) -> None:
    with store.session() as s:
        upsert_definition(s, "kpi", "nrr", {"target": 1.1}, "models/kpis.yml", HASH_A, "yaml", "alice")
        assert upsert_definition(s, "kpi", "nrr", {"target": 1.1}, "models/other.yml", HASH_A, "yaml", "a") == "changed"
        assert upsert_definition(s, "kpi", "nrr", {"target": 1.1}, None, HASH_A, "store", "a") == "changed"
        row = get_definition(s, "kpi", "nrr")
        assert row is not None
        assert (row.file, row.origin) == (None, "store")


def test_body_round_trips_as_json(store: Store) -> None:
    body = {"tuple": (1, 2), "nested": {"a": [1.5, None, True, "x"]}, "unicode": "Umsatz – €"}
    with store.session() as s:
        upsert_definition(s, "metric", "m", body, None, HASH_A, "store", "alice")
    with store.session() as s:
        row = get_definition(s, "metric", "m")
        assert row is not None
        assert row.body == {"tuple": [1, 2], "nested": {"a": [1.5, None, True, "x"]}, "unicode": "Umsatz – €"}
        # the tuple/list difference is not a change
        assert upsert_definition(s, "metric", "m", body, None, HASH_A, "store", "alice") == "unchanged"


def test_a_body_that_is_not_json_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="body of metric 'm' must be plain JSON"), store.session() as s:
        upsert_definition(s, "metric", "m", {"x": float("nan")}, None, HASH_A, "store", "alice")


def test_list_filters_by_kind_and_sorts_by_name(store: Store) -> None:
    entries: list[tuple[DefinitionKind, str]] = [("metric", "b"), ("kpi", "k"), ("metric", "a"), ("dataset", "orders")]
    with store.session() as s:
        for kind, name in entries:
            upsert_definition(s, kind, name, {}, None, HASH_A, "yaml", "alice")
    with store.session() as s:
        assert [(d.kind, d.name) for d in list_definitions(s)] == [
            ("dataset", "orders"),
            ("kpi", "k"),
            ("metric", "a"),
            ("metric", "b"),
        ]
        assert [d.name for d in list_definitions(s, "metric")] == ["a", "b"]


def test_the_same_name_may_exist_under_two_kinds(store: Store) -> None:
    with store.session() as s:
        assert upsert_definition(s, "metric", "revenue", {}, None, HASH_A, "yaml", "a") == "added"
        assert upsert_definition(s, "kpi", "revenue", {}, None, HASH_A, "yaml", "a") == "added"
        assert len(list_definitions(s)) == 2


def test_delete(store: Store) -> None:
    with store.session() as s:
        upsert_definition(s, "metric", "revenue", BODY, None, HASH_A, "yaml", "alice")
    with store.session() as s:
        assert delete_definition(s, "metric", "revenue") is True
        assert delete_definition(s, "metric", "revenue") is False
    with store.session() as s:
        assert get_definition(s, "metric", "revenue") is None


def test_kind_and_name_are_unique(store: Store) -> None:
    row = {"body": {}, "yaml_hash": HASH_A, "origin": "yaml", "applied_by": "a"}
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(AppliedDefinition(kind="metric", name="revenue", **row))
        s.add(AppliedDefinition(kind="metric", name="revenue", **row))
        s.flush()


@pytest.mark.parametrize(("field", "value"), [("kind", "widget"), ("origin", "git")])
def test_kind_and_origin_are_checked_by_the_database(store: Store, field: str, value: str) -> None:
    row = {"kind": "metric", "name": "m", "body": {}, "yaml_hash": HASH_A, "origin": "yaml", "applied_by": "a"}
    pattern = f"ck_applied_definitions_{field}|CHECK constraint failed"
    with pytest.raises(IntegrityError, match=pattern), store.session() as s:
        s.add(AppliedDefinition(**{**row, field: value}))
