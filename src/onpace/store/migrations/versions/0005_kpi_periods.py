"""The history of every KPI: one row per period that is over, achieved or missed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kpi_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi", sa.String(128), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("target", sa.Double(), nullable=True),
        sa.Column("target_low", sa.Double(), nullable=True),
        sa.Column("target_high", sa.Double(), nullable=True),
        sa.Column("actual", sa.Double(), nullable=True),
        sa.Column("attainment", sa.Double(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["refresh_runs.id"], name=op.f("fk_kpi_periods_run_id_refresh_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_periods")),
        sa.UniqueConstraint("kpi", "segment", "period_start", name=op.f("uq_kpi_periods_kpi_segment_period_start")),
        sa.CheckConstraint("status IN ('achieved', 'missed')", name=op.f("ck_kpi_periods_status")),
    )


def downgrade() -> None:
    op.drop_table("kpi_periods")
