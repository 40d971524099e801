"""The store's first tables: definitions, runs, series and observations, KPI evaluations, history.

Revision ID: 0001
Revises:
Create Date: 2026-05-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applied_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("file", sa.Text(), nullable=True),
        sa.Column("yaml_hash", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applied_definitions")),
        sa.UniqueConstraint("kind", "name", name=op.f("uq_applied_definitions_kind_name")),
        sa.CheckConstraint(
            "kind IN ('project', 'source', 'dataset', 'metric', 'objective', 'kpi')",
            name=op.f("ck_applied_definitions_kind"),
        ),
        sa.CheckConstraint("origin IN ('yaml', 'store')", name=op.f("ck_applied_definitions_origin")),
    )
    op.create_table(
        "refresh_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("metrics_total", sa.Integer(), nullable=False),
        sa.Column("metrics_failed", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_runs")),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'partial', 'failed', 'interrupted')",
            name=op.f("ck_refresh_runs_status"),
        ),
        sa.CheckConstraint("mode IN ('full', 'incremental')", name=op.f("ck_refresh_runs_mode")),
    )
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(128), nullable=False),
        sa.Column("grain", sa.String(16), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("data_until", sa.Date(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint("metric", "grain", "segment", name=op.f("uq_series_metric_grain_segment")),
        sa.CheckConstraint("origin IN ('engine', 'manual')", name=op.f("ck_series_origin")),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["refresh_runs.id"],
            name=op.f("fk_series_last_run_id_refresh_runs"),
            ondelete="SET NULL",
        ),
    )
    op.create_table(
        "observations",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "period_start", name=op.f("pk_observations")),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_observations_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["refresh_runs.id"],
            name=op.f("fk_observations_run_id_refresh_runs"),
            ondelete="SET NULL",
        ),
    )
    op.create_table(
        "kpi_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi", sa.String(128), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("target", sa.Double(), nullable=True),
        sa.Column("target_low", sa.Double(), nullable=True),
        sa.Column("target_high", sa.Double(), nullable=True),
        sa.Column("actual", sa.Double(), nullable=True),
        sa.Column("expected_to_date", sa.Double(), nullable=True),
        sa.Column("attainment", sa.Double(), nullable=True),
        sa.Column("forecast", sa.Double(), nullable=True),
        sa.Column("forecast_low", sa.Double(), nullable=True),
        sa.Column("forecast_high", sa.Double(), nullable=True),
        sa.Column("probability", sa.Double(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_evaluations")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["refresh_runs.id"],
            name=op.f("fk_kpi_evaluations_run_id_refresh_runs"),
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        op.f("ix_kpi_evaluations_kpi_segment_evaluated_at"),
        "kpi_evaluations",
        ["kpi", "segment", "evaluated_at"],
    )
    op.create_table(
        "target_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi", sa.String(128), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("old", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("new", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_history")),
        sa.CheckConstraint("source IN ('yaml', 'api')", name=op.f("ck_target_history_source")),
    )
    op.create_index(op.f("ix_target_history_kpi_changed_at"), "target_history", ["kpi", "changed_at"])
    op.create_table(
        "lifecycle_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(128), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_events")),
        sa.CheckConstraint("action IN ('promote', 'demote')", name=op.f("ck_lifecycle_events_action")),
    )
    op.create_index(op.f("ix_lifecycle_events_metric_at"), "lifecycle_events", ["metric", "at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("object_kind", sa.String(16), nullable=False),
        sa.Column("object_name", sa.String(128), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_object_kind_object_name"), "audit_log", ["object_kind", "object_name"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_object_kind_object_name"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_lifecycle_events_metric_at"), table_name="lifecycle_events")
    op.drop_table("lifecycle_events")
    op.drop_index(op.f("ix_target_history_kpi_changed_at"), table_name="target_history")
    op.drop_table("target_history")
    op.drop_index(op.f("ix_kpi_evaluations_kpi_segment_evaluated_at"), table_name="kpi_evaluations")
    op.drop_table("kpi_evaluations")
    op.drop_table("observations")
    op.drop_table("series")
    op.drop_table("refresh_runs")
    op.drop_table("applied_definitions")
