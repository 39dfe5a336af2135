"""Reproducibility certificates: a run re-executed from its record, and the verdict.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reproductions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("reproduction_run_id", sa.String(length=32), nullable=True),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("tolerance", sa.Double(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_reproductions_run_id_runs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name="fk_reproductions_model_version_id_model_versions",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reproductions"),
    )
    op.create_index("ix_reproductions_run", "reproductions", ["run_id"])
    op.create_index("ix_reproductions_model_version", "reproductions", ["model_version_id"])


def downgrade() -> None:
    op.drop_index("ix_reproductions_model_version", table_name="reproductions")
    op.drop_index("ix_reproductions_run", table_name="reproductions")
    op.drop_table("reproductions")
