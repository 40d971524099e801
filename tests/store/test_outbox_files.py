"""Outbox files are kept once and shared by the messages that send them (SQLite and PostgreSQL).

A report run's PDF goes to every recipient: one row of ``outbox_files``, one attachment row per
message naming it. Checked with hand-written SQL; a repeated key queues nothing and keeps nothing.
Migration 0010 moves the bytes of attachments queued before it into ``outbox_files``, and back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text

from onpace.store import Store, outbox
from onpace.store.migrate import head_revision

PDF = b"%PDF-1.7 " + bytes(range(256)) * 40  # 10,249 bytes
CHART = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100  # 108 bytes


@dataclass(frozen=True)
class File:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None


FILES = [File("chart-1.png", "image/png", CHART, "chart-1"), File("pack.pdf", "application/pdf", PDF)]


def _queue(store: Store, key: str, attachments: list[outbox.KeptFile] | list[File]) -> int | None:
    with store.session() as s:
        return outbox.enqueue(
            s,
            channel="mail",
            to=f"{key}@x.test",
            subject="s",
            text="t",
            key=key,
            origin="report:x",
            attachments=attachments,
        )


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _sent(store: Store, message_id: int) -> list[tuple[str, str, str | None, bytes]]:
    with store.session(readonly=True) as s:
        return [(a.filename, a.content_type, a.content_id, bytes(a.data)) for a in outbox.attachments_of(s, message_id)]


def test_files_kept_once_are_shared_by_every_message(store: Store) -> None:
    with store.session() as s:
        kept = outbox.keep_files(s, FILES)
    assert [(k.filename, k.size) for k in kept] == [("chart-1.png", 108), ("pack.pdf", 10_249)]
    ids = [_queue(store, key, kept) for key in ("ana", "bo", "cy")]
    assert None not in ids
    assert _count(store, "outbox_files") == 2
    assert _count(store, "outbox_attachments") == 6
    with store.engine.connect() as conn:
        sizes = conn.execute(text("SELECT size, length(data) FROM outbox_files ORDER BY size")).all()
        per_file = conn.execute(
            text("SELECT file_id, count(DISTINCT message_id) FROM outbox_attachments GROUP BY file_id ORDER BY file_id")
        ).all()
    assert [tuple(r) for r in sizes] == [(108, 108), (10_249, 10_249)]
    assert [tuple(r) for r in per_file] == [(kept[0].file_id, 3), (kept[1].file_id, 3)]
    for message_id in ids:
        assert message_id is not None
        assert _sent(store, message_id) == [
            ("chart-1.png", "image/png", "chart-1", CHART),
            ("pack.pdf", "application/pdf", None, PDF),
        ]


def test_a_repeated_key_queues_nothing_and_keeps_nothing(store: Store) -> None:
    first = _queue(store, "ana", FILES)  # bytes: kept for this message
    assert first is not None and _count(store, "outbox_files") == 2
    assert _queue(store, "ana", FILES) is None
    assert (_count(store, "outbox_messages"), _count(store, "outbox_files"), _count(store, "outbox_attachments")) == (
        1,
        2,
        2,
    )
    assert [f[3] for f in _sent(store, first)] == [CHART, PDF]


def test_migration_0010_moves_the_bytes_and_back(empty_store: Store) -> None:
    empty_store.upgrade("0009")
    now = dt.datetime(2027, 2, 1, 7, tzinfo=dt.UTC)
    with empty_store.connection() as conn:
        for key in ("a", "b"):
            conn.execute(
                text(
                    "INSERT INTO outbox_messages (key, channel, subject, text, origin, status, attempts, created_at,"
                    " next_attempt_at) VALUES (:k, 'mail', 's', 't', 'report:x', 'queued', 0, :now, :now)"
                ),
                {"k": key, "now": now},
            )
        message = {k: i for k, i in conn.execute(text("SELECT key, id FROM outbox_messages")).all()}
        rows = [(message["a"], "pack.pdf", PDF), (message["a"], "c.png", CHART), (message["b"], "pack.pdf", PDF)]
        for message_id, name, data in rows:
            conn.execute(
                text(
                    "INSERT INTO outbox_attachments (message_id, filename, content_type, data)"
                    " VALUES (:m, :f, 'application/octet-stream', :d)"
                ),
                {"m": message_id, "f": name, "d": data},
            )
    empty_store.upgrade()
    assert empty_store.current_revision() == head_revision()
    assert _count(empty_store, "outbox_files") == 3  # one file per attachment queued before
    assert [f[3] for f in _sent(empty_store, message["a"])] == [PDF, CHART]
    assert [f[3] for f in _sent(empty_store, message["b"])] == [PDF]
    with empty_store.session() as s:  # the next file's id follows the moved ones (PostgreSQL's sequence)
        [kept] = outbox.keep_files(s, [File("new.csv", "text/csv", b"a,b\n")])
    assert kept.file_id == 4
    empty_store.downgrade("0009")
    with empty_store.engine.connect() as conn:
        back = conn.execute(text("SELECT message_id, filename, data FROM outbox_attachments ORDER BY id")).all()
    assert [(r[0], r[1], bytes(r[2])) for r in back] == rows
