"""Alerts: the state of each series of each rule, every transition, and mutes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "'normal', 'pending', 'firing', 'resolved', 'no_data', 'error'"


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("series", sa.String(600), nullable=False),
        sa.Column("kpi", sa.String(128), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column("evaluations", sa.Integer(), nullable=False),
        sa.Column("last_outcome", sa.Boolean(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("outstanding", sa.Boolean(), nullable=False),
        sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_as_of", sa.Date(), nullable=True),
        sa.Column("last_value", sa.Double(), nullable=True),
        sa.Column("last_detail", sa.Text(), nullable=False),
        sa.Column("memo", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_states")),
        sa.UniqueConstraint("rule", "series", name=op.f("uq_alert_states_rule_series")),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_alert_states_state")),
    )
    op.create_index(op.f("ix_alert_states_kpi"), "alert_states", ["kpi"])
    op.create_table(
        "alert_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("series", sa.String(600), nullable=False),
        sa.Column("kpi", sa.String(128), nullable=True),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("message", sa.String(16), nullable=True),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_transitions")),
        sa.CheckConstraint(f"from_state IN ({STATES})", name=op.f("ck_alert_transitions_from_state")),
        sa.CheckConstraint(f"to_state IN ({STATES})", name=op.f("ck_alert_transitions_to_state")),
    )
    op.create_index(op.f("ix_alert_transitions_rule_at"), "alert_transitions", ["rule", "at"])
    op.create_index(op.f("ix_alert_transitions_kpi_at"), "alert_transitions", ["kpi", "at"])
    op.create_table(
        "alert_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("series", sa.String(600), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_mutes")),
    )
    op.create_index(op.f("ix_alert_mutes_rule_until"), "alert_mutes", ["rule", "until"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_mutes_rule_until"), table_name="alert_mutes")
    op.drop_table("alert_mutes")
    op.drop_index(op.f("ix_alert_transitions_kpi_at"), table_name="alert_transitions")
    op.drop_index(op.f("ix_alert_transitions_rule_at"), table_name="alert_transitions")
    op.drop_table("alert_transitions")
    op.drop_index(op.f("ix_alert_states_kpi"), table_name="alert_states")
    op.drop_table("alert_states")
