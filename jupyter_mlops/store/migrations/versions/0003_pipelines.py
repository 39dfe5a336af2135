"""Pipeline runs, step runs and pipeline promotions.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("spec_path", sa.Text, nullable=False),
        sa.Column("spec_digest", sa.String(64), nullable=False),
        sa.Column("pipeline_version", sa.String(64), nullable=False),
        sa.Column("env", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(32)),
        sa.Column("params", sa.Text),
        sa.Column("options", sa.Text),
        sa.Column("trigger", sa.String(32)),
        sa.Column("trigger_run_id", sa.String(32)),
        sa.Column("user_name", sa.String(255)),
        sa.Column("host", sa.String(255)),
        sa.Column("started", sa.Double, nullable=False),
        sa.Column("ended", sa.Double),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_pipeline_runs"),
    )
    op.create_index("ix_pipeline_runs_name_started", "pipeline_runs", ["name", "started"])
    op.create_table(
        "step_runs",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("pipeline_run_id", sa.String(32), nullable=False),
        sa.Column("step", sa.String(255), nullable=False),
        sa.Column("run_id", sa.String(32)),
        sa.Column("cache_key", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started", sa.Double),
        sa.Column("ended", sa.Double),
        sa.Column("output_notebook", sa.Text),
        sa.Column("outputs", sa.Text),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_step_runs"),
        sa.ForeignKeyConstraint(
            ["pipeline_run_id"],
            ["pipeline_runs.id"],
            ondelete="CASCADE",
            name="fk_step_runs_pipeline_run_id_pipeline_runs",
        ),
    )
    op.create_index("ix_step_runs_pipeline_run", "step_runs", ["pipeline_run_id"])
    op.create_index("ix_step_runs_step_key", "step_runs", ["step", "cache_key"])
    op.create_table(
        "pipeline_promotions",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("from_env", sa.String(64), nullable=False),
        sa.Column("to_env", sa.String(64), nullable=False),
        sa.Column("pipeline_version", sa.String(64), nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("pipeline_run_id", sa.String(32)),
        sa.Column("reason", sa.Text),
        sa.Column("user_name", sa.String(255)),
        sa.Column("host", sa.String(255)),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pipeline_promotions"),
    )
    op.create_index("ix_pipeline_promotions_name_env", "pipeline_promotions", ["name", "to_env"])


def downgrade() -> None:
    op.drop_table("pipeline_promotions")
    op.drop_table("step_runs")
    op.drop_table("pipeline_runs")
