"""Lessons know whether they are a lesson or a stage test / final exam, and a test's weight.

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
    with op.batch_alter_table("lessons") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="lesson"))
        batch.add_column(sa.Column("weight", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("lessons") as batch:
        batch.drop_column("weight")
        batch.drop_column("kind")
