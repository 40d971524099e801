"""The scheduler: one row per claimed tick of a scheduled job, with its lease and how its run went.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sched_job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(300), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["refresh_runs.id"], name=op.f("fk_sched_job_runs_run_id_refresh_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sched_job_runs")),
        sa.UniqueConstraint("job", "scheduled_at", name=op.f("uq_sched_job_runs_job_scheduled_at")),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'interrupted')", name=op.f("ck_sched_job_runs_status")
        ),
    )
    op.create_index(op.f("ix_sched_job_runs_status_lease_expires_at"), "sched_job_runs", ["status", "lease_expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sched_job_runs_status_lease_expires_at"), table_name="sched_job_runs")
    op.drop_table("sched_job_runs")
