"""Inference logs: one row per flushed batch of a model server's logged traffic.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inference_batches",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("model_name", sa.String(255), nullable=False),
        sa.Column("stage", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("server_id", sa.String(32), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("versions", sa.String(255), nullable=False),
        sa.Column("first_time", sa.Double, nullable=False),
        sa.Column("last_time", sa.Double, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inference_batches"),
    )
    op.create_index(
        "ix_inference_batches_model_time", "inference_batches", ["model_name", "last_time"]
    )
    op.create_index("ix_inference_batches_digest", "inference_batches", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_inference_batches_digest", table_name="inference_batches")
    op.drop_index("ix_inference_batches_model_time", table_name="inference_batches")
    op.drop_table("inference_batches")
