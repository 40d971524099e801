"""KPI reviews: a record each time a KPI is reviewed (continuous review).

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi", sa.String(128), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("assessment", sa.String(16), nullable=False),
        sa.Column("commentary", sa.Text(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.CheckConstraint(
            "assessment IN ('on_track', 'at_risk', 'off_track', 'achieved', 'missed')",
            name=op.f("ck_reviews_assessment"),
        ),
    )
    op.create_index(op.f("ix_reviews_kpi_reviewed_at"), "reviews", ["kpi", "reviewed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reviews_kpi_reviewed_at"), table_name="reviews")
    op.drop_table("reviews")
