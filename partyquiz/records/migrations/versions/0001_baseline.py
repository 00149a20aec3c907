"""Baseline: the ledger as commit 3b2740c created it with metadata.create_all (before migrations).

Frozen here on purpose (not read from ledger.metadata): later revisions change the tables,
the baseline must keep creating what old ledgers hold. A ledger made before migrations has no
version table: this revision then creates only the tables it lacks (an older create_all ledger
may lack `questions` or `learners.on_roster`) and so stamps it as the baseline, rows untouched.

Revision ID: 0001
Revises: (none)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _create_missing(name: str, *columns) -> None:
    if name not in _existing():
        op.create_table(name, *columns)


def _existing() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def upgrade() -> None:
    _create_missing(
        "learners",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("branch", sa.String(128), nullable=False),
        sa.Column("unit", sa.String(256), nullable=False),
        sa.Column("position", sa.String(128), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("rank", sa.String(64), nullable=False),
        sa.Column("id_number", sa.String(32), nullable=False),
        sa.Column("on_roster", sa.Boolean, nullable=False),
    )
    _create_missing(
        "courses",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("organiser", sa.String(256), nullable=False),
        sa.Column("institution", sa.String(256), nullable=False),
        sa.Column("form", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer),
    )
    _create_missing(
        "lessons",
        sa.Column("course_id", sa.String(80), primary_key=True),
        sa.Column("lesson_id", sa.String(80), primary_key=True),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("hours", sa.Float, nullable=False),
        sa.Column("minutes", sa.Float),
        sa.Column("pass_mark", sa.Float, nullable=False),
    )
    _create_missing(
        "questions",
        sa.Column("course_id", sa.String(80), primary_key=True),
        sa.Column("question_id", sa.String(80), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("stem", sa.Text, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
    )
    _create_missing(
        "batches",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("rolled_at", sa.DateTime, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("superseded", sa.Integer, nullable=False),
    )
    _create_missing(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("learner_id", sa.String(80), nullable=False),
        sa.Column("course_id", sa.String(80), nullable=False),
        sa.Column("lesson_id", sa.String(80), nullable=False),
        sa.Column("assignment", sa.String(160), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("max_score", sa.Float, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("hours", sa.Float, nullable=False),
        sa.Column("completed_at", sa.DateTime),
        sa.Column("batch_id", sa.String(80), nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("superseded_by", sa.Integer),
    )
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("records")}
    if "ix_records_current" not in indexes:
        op.create_index("ix_records_current", "records", ["learner_id", "course_id", "lesson_id", "current"])
    if "ix_records_batch" not in indexes:
        op.create_index("ix_records_batch", "records", ["batch_id"])
    _create_missing(
        "items",
        sa.Column("record_id", sa.Integer, primary_key=True),
        sa.Column("question_id", sa.String(80), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("max_score", sa.Float, nullable=False),
        sa.Column("answered", sa.Boolean, nullable=False),
        sa.Column("value", sa.Text),
    )
    learner_columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("learners")}
    if "on_roster" not in learner_columns:  # ledgers from before the roster kept leavers
        with op.batch_alter_table("learners") as batch:
            batch.add_column(sa.Column("on_roster", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    for table in ("items", "records", "batches", "questions", "lessons", "courses", "learners"):
        op.drop_table(table)
