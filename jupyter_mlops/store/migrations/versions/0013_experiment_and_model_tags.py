"""Tags on experiments and on registered models, as MLflow keeps them.

An MLflow client sets them (``create_experiment(tags=...)``, ``set_experiment_tag``, an
experiment's description as the ``mlflow.note.content`` tag, ``create_registered_model(tags=
...)``, ``set_registered_model_tag``); before this revision they were dropped without a word.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiment_tags",
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "registered_model_tags",
        sa.Column(
            "model_id",
            sa.Integer(),
            sa.ForeignKey("registered_models.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("registered_model_tags")
    op.drop_table("experiment_tags")
