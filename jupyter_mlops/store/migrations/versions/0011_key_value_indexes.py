"""Covering indexes for param and tag filters on SQLite: (key, value, run_id).

``params.p = '4'`` becomes ``run_id IN (SELECT run_id FROM params WHERE key = 'p' AND
value = '4')``; with the value and run_id in the index SQLite answers it from the index
alone, where the ``(key)`` index made it read every row holding the key (a filtered page of
100 out of 10,000 runs: the most of its time). They replace the ``(key)`` indexes, which
they also serve.

PostgreSQL keeps ``(key)``: a B-tree entry there holds at most 2,704 bytes, and a param (up
to 6,000 characters) or a tag value can be longer, which would make its insert fail.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("params", "tags")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        op.create_index(f"ix_{table}_key_value_run", table, ["key", "value", "run_id"])
        op.drop_index(f"ix_{table}_key", table_name=table)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        op.create_index(f"ix_{table}_key", table, ["key"])
        op.drop_index(f"ix_{table}_key_value_run", table_name=table)
