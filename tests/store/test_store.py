"""Opening the store: URLs, connection settings, transactions and errors."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, StatementError

from onpace.config import Settings
from onpace.errors import StoreError, UserError
from onpace.store import Store
from onpace.store import audit as audit_log
from onpace.store.evaluations import add_evaluation, latest_evaluations
from onpace.store.models import AuditEntry, RefreshRun
from onpace.store.runs import start_run

from .backends import Backend


def test_a_session_commits_at_the_end(store: Store) -> None:
    with store.session() as s:
        run_id = start_run(s, "full", "alice")
    with store.session() as s:
        assert s.get(RefreshRun, run_id) is not None


def test_a_failing_session_leaves_nothing_written(store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.session() as s:
        start_run(s, "full", "alice")
        audit_log.audit(s, "alice", "refresh", "project", "demo")
        raise RuntimeError("boom")
    with store.session() as s:
        assert s.scalars(select(RefreshRun)).all() == []
        assert s.scalars(select(AuditEntry)).all() == []


def test_a_failing_statement_rolls_back_the_whole_session(store: Store) -> None:
    with pytest.raises(DBAPIError), store.session() as s:
        start_run(s, "full", "alice")
        s.execute(text("INSERT INTO refresh_runs (status) VALUES ('nonsense')"))
    with store.session() as s:
        assert s.scalars(select(RefreshRun)).all() == []


def test_rows_stay_readable_after_the_session(store: Store) -> None:
    with store.session() as s:
        audit_log.audit(s, "alice", "apply", "metric", "revenue", {"files": 2})
        [entry] = audit_log.list_audit(s)
    assert entry.details == {"files": 2}  # no DetachedInstanceError: rows are not expired on commit


def test_timestamps_round_trip_timezone_aware_in_utc(store: Store) -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    moment = datetime(2024, 3, 31, 23, 59, 58, 123456, tzinfo=kolkata)
    with store.session() as s:
        s.add(RefreshRun(started_at=moment, status="running", mode="full", requested_by="a", errors={}))
    with store.session() as s:
        run = s.scalars(select(RefreshRun)).one()
    assert run.started_at == moment
    assert run.started_at.tzinfo == UTC
    assert run.started_at == datetime(2024, 3, 31, 18, 29, 58, 123456, tzinfo=UTC)


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.session() as s:
        s.add(RefreshRun(started_at=datetime(2024, 1, 1), status="running", mode="full", requested_by="a"))
        s.flush()


def test_readonly_sessions_refuse_writes(store: Store) -> None:
    # refused by the database (SQLite: "attempt to write a readonly database", a StoreError like every
    # failure of the store itself; PostgreSQL: a read-only transaction error)
    with pytest.raises((DBAPIError, StoreError)), store.session(readonly=True) as s:
        start_run(s, "full", "alice")
    with store.session() as s:  # and the next ordinary session writes again
        start_run(s, "full", "alice")


def test_a_readonly_session_does_not_wait_for_a_writer(store: Store, backend: Backend) -> None:
    other = Store(store.url)
    try:
        with store.session() as writer:
            start_run(writer, "full", "alice")  # holds the write lock until the block ends
            seen: list[int] = []
            reader = threading.Thread(target=lambda: seen.append(_count_runs(other)))
            reader.start()
            reader.join(timeout=10)
            assert not reader.is_alive(), "the reader waited for the writer"
        assert seen == [0]  # it did not see the uncommitted run
    finally:
        other.close()


def _count_runs(store: Store) -> int:
    with store.session(readonly=True) as s:
        return len(s.scalars(select(RefreshRun)).all())


def test_sqlite_connections_get_their_pragmas(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store, store.connection() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
        }
    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 30000, "synchronous": 1}


def test_for_project_uses_a_sqlite_file_in_the_project(tmp_path: Path) -> None:
    with Store.for_project(tmp_path, Settings(database_url=None)) as store:
        assert store.url == f"sqlite:///{(tmp_path / '.onpace' / 'store.db').as_posix()}"
        store.ensure_current()
        with store.session() as s:
            start_run(s, "full", "alice")
    assert (tmp_path / ".onpace" / "store.db").is_file()


def test_open_migrates_a_new_database(backend: Backend) -> None:
    with Store.open(backend.new_url()) as store, store.session() as s:
        audit_log.audit(s, "alice", "apply", "metric", "revenue")
        assert [e.object_name for e in audit_log.list_audit(s)] == ["revenue"]


def test_an_unreachable_postgresql_store_names_the_url_without_its_password() -> None:
    store = Store("postgresql://onpace:s3cret@127.0.0.1:1/onpace")
    try:
        with pytest.raises(StoreError) as caught, store.session():
            pass
    finally:
        store.close()
    message = str(caught.value)
    assert "postgresql+psycopg://onpace:***@127.0.0.1:1/onpace" in message
    assert "s3cret" not in message
    assert caught.value.status == 503


def test_an_unreachable_sqlite_store_is_a_store_error(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/missing/folder/store.db") as store:
        with pytest.raises(StoreError, match=re.escape("missing/folder/store.db")):
            store.current_revision()
        with pytest.raises(StoreError, match="unable to open database file"), store.session():
            pass


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/onpace", "runs on SQLite .* or PostgreSQL"),
        ("not a url", "not a valid database URL"),
    ],
)
def test_unsupported_urls_are_user_errors(url: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        Store(url)


def test_dates_round_trip(store: Store) -> None:
    with store.session() as s:
        add_evaluation(
            s,
            kpi="revenue",
            as_of=date(2024, 2, 29),
            period_start=date(2024, 1, 1),
            period_end=date(2024, 3, 31),
            status="on_track",
        )
    with store.session() as s:
        [row] = latest_evaluations(s)
    assert (row.as_of, row.period_start, row.period_end) == (date(2024, 2, 29), date(2024, 1, 1), date(2024, 3, 31))
