"""Schedules and their runs (one row per schedule and tick).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("cron", sa.String(255), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("env", sa.String(64)),
        sa.Column("params", sa.Text),
        sa.Column("monitor", sa.Text),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("coalesce", sa.Boolean, nullable=False),
        sa.Column("next_due", sa.Double),
        sa.Column("last_tick", sa.Double),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.UniqueConstraint("name", name="uq_schedules_name"),
    )
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("schedule_id", sa.Integer, nullable=False),
        sa.Column("tick", sa.Double, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(255)),
        sa.Column("started", sa.Double),
        sa.Column("ended", sa.Double),
        sa.Column("run_id", sa.String(32)),
        sa.Column("pipeline_run_id", sa.String(32)),
        sa.Column("output_notebook", sa.Text),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_runs"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            ondelete="CASCADE",
            name="fk_schedule_runs_schedule_id_schedules",
        ),
        sa.UniqueConstraint("schedule_id", "tick", name="uq_schedule_runs_schedule_id_tick"),
    )


def downgrade() -> None:
    op.drop_table("schedule_runs")
    op.drop_table("schedules")
