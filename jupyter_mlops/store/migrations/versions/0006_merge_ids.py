"""The store's identity and the id map of stores merged into it (``store migrate``).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_store_meta"),
    )
    op.create_table(
        "migrated_ids",
        sa.Column("source_store", sa.String(32), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("target_id", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("source_store", "table_name", "source_id", name="pk_migrated_ids"),
    )


def downgrade() -> None:
    op.drop_table("migrated_ids")
    op.drop_table("store_meta")
