"""Offline activities and their attendance, qualitative evaluations, 入党日期 and branch roles.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("joined_on", sa.Date))
        batch.add_column(sa.Column("role", sa.String(32), nullable=False, server_default=""))
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date),
        sa.Column("days", sa.Float),
        sa.Column("clock_hours", sa.Float),
        sa.Column("organiser", sa.String(256), nullable=False),
        sa.Column("branch", sa.String(128), nullable=False),
        sa.Column("form", sa.String(32), nullable=False),
        sa.Column("source", sa.String(512), nullable=False),
        sa.Column("imported_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "attendance",
        sa.Column("session_id", sa.String(120), primary_key=True),
        sa.Column("learner_id", sa.String(80), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.String(256), nullable=False),
    )
    op.create_index("ix_attendance_learner", "attendance", ["learner_id"])
    op.create_table(
        "evaluations",
        sa.Column("learner_id", sa.String(80), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("study_style", sa.String(16), nullable=False),
        sa.Column("discipline", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("evaluator", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("evaluations")
    op.drop_index("ix_attendance_learner", "attendance")
    op.drop_table("attendance")
    op.drop_table("sessions")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("role")
        batch.drop_column("joined_on")
