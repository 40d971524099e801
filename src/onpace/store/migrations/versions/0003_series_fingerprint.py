"""What a series was computed from, and what a refresh run covered.

- ``series.definition_hash``: a fingerprint of the definitions a series depends on; a refresh
  recomputes a series in full when it changed (an incremental refresh would otherwise keep
  history computed by the old definition).
- ``refresh_runs.scope``: the metrics a run was limited to (``--metric``), null for all.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.add_column(sa.Column("definition_hash", sa.String(64), nullable=True))
    with op.batch_alter_table("refresh_runs") as batch:
        batch.add_column(sa.Column("scope", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_runs") as batch:
        batch.drop_column("scope")
    with op.batch_alter_table("series") as batch:
        batch.drop_column("definition_hash")
