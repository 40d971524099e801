"""Outbox files kept once: a report run's PDF and charts are stored once, each message refers to them.

- ``outbox_files``: the bytes of a file (its size, when it was kept);
- ``outbox_attachments.file_id``: the file an attachment sends; its ``data`` column goes (the
  bytes move to ``outbox_files``, one file per attachment that was queued before).

The move is plain SQL (an attachment's file takes the attachment's id), so the offline SQL for a
DBA does it too; the downgrade copies each attachment's bytes back.

Revision ID: 0010
Revises: 0009
Create Date: 2027-02-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def _attachments(*more: sa.schema.SchemaItem) -> sa.Table:
    """``outbox_attachments`` as 0009 made it, with ``more`` columns, constraints and indexes: what a
    SQLite batch rebuilds it from (given, not reflected, so the offline SQL needs no database)."""
    meta = sa.MetaData()
    sa.Table("outbox_messages", meta, sa.Column("id", sa.Integer(), primary_key=True))
    sa.Table("outbox_files", meta, sa.Column("id", sa.Integer(), primary_key=True))
    return sa.Table(
        "outbox_attachments",
        meta,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("content_id", sa.String(255), nullable=True),
        *more,
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name="fk_outbox_attachments_message_id_outbox_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_attachments"),
        sa.UniqueConstraint("message_id", "filename", name="uq_outbox_attachments_message_id_filename"),
    )


def upgrade() -> None:
    op.create_table(
        "outbox_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_files")),
    )
    op.add_column("outbox_attachments", sa.Column("file_id", sa.Integer(), nullable=True))
    op.execute(
        "INSERT INTO outbox_files (id, size, data, created_at) "
        "SELECT a.id, length(a.data), a.data, m.created_at "
        "FROM outbox_attachments a JOIN outbox_messages m ON m.id = a.message_id"
    )
    op.execute("UPDATE outbox_attachments SET file_id = id")
    if op.get_context().dialect.name == "postgresql":  # ids were given: the next one follows them
        op.execute(
            "SELECT setval(pg_get_serial_sequence('outbox_files', 'id'), COALESCE(MAX(id), 0) + 1, false) "
            "FROM outbox_files"
        )
    before = _attachments(sa.Column("data", sa.LargeBinary(), nullable=False), sa.Column("file_id", sa.Integer()))
    with op.batch_alter_table("outbox_attachments", copy_from=before) as batch:
        batch.alter_column("file_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_outbox_attachments_file_id_outbox_files"), "outbox_files", ["file_id"], ["id"]
        )
        batch.create_index(op.f("ix_outbox_attachments_file_id"), ["file_id"])
        batch.drop_column("data")


def downgrade() -> None:
    op.add_column("outbox_attachments", sa.Column("data", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE outbox_attachments SET data = "
        "(SELECT f.data FROM outbox_files f WHERE f.id = outbox_attachments.file_id)"
    )
    after = _attachments(
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary()),
        sa.ForeignKeyConstraint(["file_id"], ["outbox_files.id"], name="fk_outbox_attachments_file_id_outbox_files"),
        sa.Index("ix_outbox_attachments_file_id", "file_id"),
    )
    with op.batch_alter_table("outbox_attachments", copy_from=after) as batch:
        batch.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_index(op.f("ix_outbox_attachments_file_id"))
        batch.drop_constraint(op.f("fk_outbox_attachments_file_id_outbox_files"), type_="foreignkey")
        batch.drop_column("file_id")
    op.drop_table("outbox_files")
