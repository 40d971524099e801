"""The migrations build exactly the tables the models describe, and take them down again."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Column, Connection, Integer, MetaData, inspect, text

from onpace.errors import StoreError
from onpace.store import Store
from onpace.store.migrate import MIGRATIONS, alembic_config, head_revision
from onpace.store.models import Base
from onpace.store.observations import get_or_create_series, read_series, write_observations

TABLES = {
    "applied_definitions",
    "refresh_runs",
    "series",
    "observations",
    "kpi_evaluations",
    "target_history",
    "lifecycle_events",
    "audit_log",
    "reviews",
    "users",
    "web_sessions",
    "api_tokens",
    "login_attempts",
    "comments",
    "annotations",
    "kpi_periods",
    "sched_job_runs",
    "alert_states",
    "alert_transitions",
    "alert_mutes",
    "outbox_messages",
    "outbox_attempts",
    "outbox_attachments",
    "outbox_files",
    "report_runs",
    "follows",
}
SCHEDULER = {"sched_job_runs"}
ALERTS = {"alert_states", "alert_transitions", "alert_mutes"}
OUTBOX = {"outbox_messages", "outbox_attempts"}
REPORTS = {"outbox_attachments", "report_runs", "follows"}
FILES = {"outbox_files"}
WEB = {"users", "web_sessions", "api_tokens", "login_attempts", "comments", "annotations"}
# The tables each revision adds, oldest first; together they are TABLES.
REVISIONS = {
    "0001": TABLES - {"reviews", "kpi_periods"} - WEB - SCHEDULER - ALERTS - OUTBOX - REPORTS - FILES,
    "0002": {"reviews"},
    "0003": set(),  # columns only: series.definition_hash, refresh_runs.scope
    "0004": WEB,
    "0005": {"kpi_periods"},
    "0006": SCHEDULER,
    "0007": ALERTS,
    "0008": OUTBOX,
    "0009": REPORTS,
    "0010": FILES,
}


def tables(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names()) - {"alembic_version"}


def differences(store: Store, metadata: MetaData) -> list[object]:
    with store.connection() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_from_empty_to_head_and_down_to_base(empty_store: Store) -> None:
    assert empty_store.current_revision() is None
    assert tables(empty_store) == set()

    empty_store.upgrade()
    assert empty_store.current_revision() == head_revision() == "0010"
    assert tables(empty_store) == TABLES

    empty_store.downgrade("base")
    assert empty_store.current_revision() is None
    assert tables(empty_store) == set()

    empty_store.upgrade("0010")  # and up again: the downgrade left nothing behind
    assert tables(empty_store) == TABLES


def test_each_revision_up_and_down_one_step(empty_store: Store) -> None:
    assert set().union(*REVISIONS.values()) == TABLES
    expected: set[str] = set()
    for revision, added in REVISIONS.items():
        empty_store.upgrade(revision)
        expected |= added
        assert (empty_store.current_revision(), tables(empty_store)) == (revision, expected)
    for revision, added in reversed(REVISIONS.items()):
        assert empty_store.current_revision() == revision
        empty_store.downgrade("-1")
        expected -= added
        assert tables(empty_store) == expected
    assert empty_store.current_revision() is None


def test_upgrading_a_0001_store_keeps_its_rows(empty_store: Store) -> None:
    empty_store.upgrade("0001")
    with empty_store.session() as s:
        series_id = get_or_create_series(s, "revenue", "day")
        write_observations(s, series_id, [(date(2024, 1, 1), 1.0)])
    empty_store.ensure_current()
    assert empty_store.current_revision() == "0010"
    with empty_store.session() as s:
        assert read_series(s, "revenue", "day") == [(date(2024, 1, 1), 1.0)]


def test_models_and_migrations_agree(empty_store: Store) -> None:
    empty_store.upgrade()
    assert differences(empty_store, Base.metadata) == []


def test_the_comparison_sees_a_difference(empty_store: Store) -> None:
    """compare_metadata is not vacuous: a column the migrations lack is reported."""
    empty_store.upgrade()
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["series"].append_column(Column("extra", Integer))
    found = differences(empty_store, changed)
    assert len(found) == 1
    assert "extra" in str(found[0])


def test_check_constraints_are_created_with_their_names(empty_store: Store) -> None:
    # compare_metadata does not look at CHECK constraints; compare their names here.
    empty_store.upgrade()
    inspector = inspect(empty_store.engine)
    for table in Base.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == expected, table.name


def test_ensure_current_upgrades_once(empty_store: Store) -> None:
    assert empty_store.ensure_current() is empty_store
    assert empty_store.current_revision() == head_revision()
    empty_store.ensure_current()  # already current: nothing to do
    assert tables(empty_store) == TABLES


def test_a_store_from_a_newer_onpace_is_refused(empty_store: Store) -> None:
    empty_store.upgrade()
    with empty_store.connection() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match=r"revision '9999'.*newer onpace"):
        empty_store.ensure_current()


def test_an_unknown_target_revision_is_a_store_error(empty_store: Store) -> None:
    with pytest.raises(StoreError, match="cannot migrate"):
        empty_store.upgrade("nope")


def test_migrations_ship_inside_the_package() -> None:
    assert MIGRATIONS.parent == Path(__file__).resolve().parents[2] / "src" / "onpace" / "store"
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
    assert (MIGRATIONS / "versions" / "0001_initial.py").is_file()
    assert (MIGRATIONS / "versions" / "0002_reviews.py").is_file()


@pytest.mark.parametrize("url", ["postgresql+psycopg://db/onpace", "sqlite:///store.db"])
def test_offline_sql(url: str) -> None:
    """The SQL a DBA can review and run by hand (``sql=True``)."""
    cfg = alembic_config(url)
    cfg.output_buffer = io.StringIO()
    command.upgrade(cfg, "head", sql=True)
    sql = cfg.output_buffer.getvalue()
    for table in TABLES:
        assert f"CREATE TABLE {table}" in sql
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in sql
    assert "UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001'" in sql


def test_a_sqlite_table_rebuild_keeps_the_rows_that_refer_to_it(tmp_path: Path) -> None:
    """Alembic alters a SQLite table by copying it and dropping the old one; with foreign
    keys on, dropping ``series`` would cascade to its observations. Migrations run with
    them off, checked before commit, and back on after."""
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        with store.session() as s:
            series_id = get_or_create_series(s, "revenue", "day")
            write_observations(s, series_id, [(date(2024, 1, 1), 1.0), (date(2024, 1, 2), 2.0)])

        def rebuild_series(conn: Connection) -> None:
            operations = Operations(MigrationContext.configure(conn))
            with operations.batch_alter_table("series", recreate="always") as batch:
                batch.add_column(Column("extra", Integer))

        store._migrate(rebuild_series)

        with store.session() as s:
            assert read_series(s, "revenue", "day") == [(date(2024, 1, 1), 1.0), (date(2024, 1, 2), 2.0)]
        with store.connection() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_sqlite_migration_that_breaks_foreign_keys_is_rolled_back(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        with store.session() as s:
            series_id = get_or_create_series(s, "revenue", "day")
            write_observations(s, series_id, [(date(2024, 1, 1), 1.0)])

        def orphan_observations(conn: Connection) -> None:
            conn.execute(text("DELETE FROM series"))

        with pytest.raises(StoreError, match="would break foreign keys"):
            store._migrate(orphan_observations)
        with store.session() as s:
            assert read_series(s, "revenue", "day") == [(date(2024, 1, 1), 1.0)]


def test_the_numbering_of_revision_files_is_alembics() -> None:
    """The store tells its head from the file names (no Alembic import); Alembic must agree."""
    from onpace.store.migrate import alembic_revisions, head_revision, known_revisions

    head, revisions = alembic_revisions()
    assert head == head_revision()
    assert revisions == known_revisions()
