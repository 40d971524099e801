"""Reports and reminders: report runs, outbox attachments, KPIs users follow.

Revision ID: 0009
Revises: 0008
Create Date: 2027-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("content_id", sa.String(255), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_outbox_attachments_message_id_outbox_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attachments")),
        sa.UniqueConstraint("message_id", "filename", name=op.f("uq_outbox_attachments_message_id_filename")),
    )
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(128), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("kpis", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
        sa.UniqueConstraint("report", "key", name=op.f("uq_report_runs_report_key")),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name=op.f("ck_report_runs_status")),
    )
    op.create_index(op.f("ix_report_runs_report_started_at"), "report_runs", ["report", "started_at"])
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("kpi", sa.String(128), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("username", "kpi", name=op.f("uq_follows_username_kpi")),
    )
    op.create_index(op.f("ix_follows_kpi"), "follows", ["kpi"])


def downgrade() -> None:
    op.drop_index(op.f("ix_follows_kpi"), table_name="follows")
    op.drop_table("follows")
    op.drop_index(op.f("ix_report_runs_report_started_at"), table_name="report_runs")
    op.drop_table("report_runs")
    op.drop_table("outbox_attachments")
