"""A covering index for metric filters: (key, value, run_id) on latest_metrics.

``metrics.auc > 0.9`` becomes ``run_id IN (SELECT run_id FROM latest_metrics WHERE key = 'auc'
AND value > 0.9)``; with run_id in the index the database answers it from the index alone
(an index-only scan on PostgreSQL, a covering index on SQLite) instead of visiting each row.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_latest_metrics_key_value_run", "latest_metrics", ["key", "value", "run_id"])
    op.drop_index("ix_latest_metrics_key_value", table_name="latest_metrics")


def downgrade() -> None:
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.drop_index("ix_latest_metrics_key_value_run", table_name="latest_metrics")
