"""The training-record ledger: SQLAlchemy Core tables, SQLite file by default, PostgreSQL by URL.

A record row is never updated in place except to be marked superseded: a regrade adds a new
row (current) and the old one stays (current = false, superseded_by = the new row), so the
history of every result is kept. Exports and the report are read-only views of these tables.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa
from pydantic import ValidationError

from ..model import Learner, TrainingRecord
from . import migrate

log = logging.getLogger(__name__)

metadata = sa.MetaData()

learners = sa.Table(
    "learners", metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("branch", sa.String(128), nullable=False, default=""),
    sa.Column("unit", sa.String(256), nullable=False, default=""),
    sa.Column("position", sa.String(128), nullable=False, default=""),
    sa.Column("category", sa.String(64), nullable=False, default=""),
    sa.Column("rank", sa.String(64), nullable=False, default=""),
    sa.Column("id_number", sa.String(32), nullable=False, default=""),
    sa.Column("on_roster", sa.Boolean, nullable=False, default=True),
    sa.Column("joined_on", sa.Date),  # 入党日期 (政治生日); revision 0002
    sa.Column("role", sa.String(32), nullable=False, default=""),  # 支部书记 / 支部委员 / ""; revision 0002
)

courses = sa.Table(
    "courses", metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("title", sa.String(256), nullable=False),
    sa.Column("organiser", sa.String(256), nullable=False, default=""),
    sa.Column("institution", sa.String(256), nullable=False, default=""),
    sa.Column("form", sa.String(32), nullable=False, default=""),
    sa.Column("year", sa.Integer),
)

lessons = sa.Table(
    "lessons", metadata,
    sa.Column("course_id", sa.String(80), primary_key=True),
    sa.Column("lesson_id", sa.String(80), primary_key=True),
    sa.Column("title", sa.String(256), nullable=False),
    sa.Column("hours", sa.Float, nullable=False),
    sa.Column("minutes", sa.Float),
    sa.Column("pass_mark", sa.Float, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, default="lesson"),  # lesson | test (stage test, final exam); revision 0003
    sa.Column("weight", sa.Float),  # a test's weight in the course result (course.yml); revision 0003
)

# question stems and options, so the report can show them from the ledger alone
questions = sa.Table(
    "questions", metadata,
    sa.Column("course_id", sa.String(80), primary_key=True),
    sa.Column("question_id", sa.String(80), primary_key=True),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("stem", sa.Text, nullable=False),
    sa.Column("options", sa.Text, nullable=False),  # JSON: [[id, text, correct], ...]
)

batches = sa.Table(
    "batches", metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("rolled_at", sa.DateTime, nullable=False),
    sa.Column("added", sa.Integer, nullable=False),
    sa.Column("superseded", sa.Integer, nullable=False),
)

records = sa.Table(
    "records", metadata,
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
    sa.Column("late", sa.Boolean, nullable=False, default=False),
    sa.Column("current", sa.Boolean, nullable=False, default=True),
    sa.Column("superseded_by", sa.Integer),
    sa.Index("ix_records_current", "learner_id", "course_id", "lesson_id", "current"),
    sa.Index("ix_records_batch", "batch_id"),
)

items = sa.Table(
    "items", metadata,
    sa.Column("record_id", sa.Integer, primary_key=True),
    sa.Column("question_id", sa.String(80), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("max_score", sa.Float, nullable=False),
    sa.Column("answered", sa.Boolean, nullable=False),
    sa.Column("value", sa.Text),  # the learner's answer as JSON, for option counts
)


# offline activities (revision 0002): a session of 三会一课, 集中培训 … and who attended it
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),  # 党课, 支部党员大会 … (rules: activities.kinds)
    sa.Column("title", sa.String(256), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    sa.Column("days", sa.Float),  # length in days (集中培训), or
    sa.Column("clock_hours", sa.Float),  # length in clock hours (branch study, meetings)
    sa.Column("organiser", sa.String(256), nullable=False, default=""),
    sa.Column("branch", sa.String(128), nullable=False, default=""),
    sa.Column("form", sa.String(32), nullable=False, default=""),  # 现场 / 线上 / 站点集中收看 …
    sa.Column("source", sa.String(512), nullable=False, default=""),  # the 签到表 it came from
    sa.Column("imported_at", sa.DateTime, nullable=False),
)

attendance = sa.Table(
    "attendance", metadata,
    sa.Column("session_id", sa.String(120), primary_key=True),
    sa.Column("learner_id", sa.String(80), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),  # attended | leave | absent
    sa.Column("note", sa.String(256), nullable=False, default=""),
    sa.Index("ix_attendance_learner", "learner_id"),
)

# qualitative evaluation per person and counting year (学风、纪律, 评语), revision 0002
evaluations = sa.Table(
    "evaluations", metadata,
    sa.Column("learner_id", sa.String(80), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("study_style", sa.String(16), nullable=False, default=""),  # 学风: 优 / 良 / 中 / 差
    sa.Column("discipline", sa.String(16), nullable=False, default=""),  # 纪律: 优 / 良 / 中 / 差
    sa.Column("comment", sa.Text, nullable=False, default=""),  # 评语
    sa.Column("evaluator", sa.String(128), nullable=False, default=""),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)


def _prepare_sqlite_dir(url: str) -> None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def sqlite_file_missing(url: str) -> bool:
    """A SQLite URL naming a file that is not there: connecting would quietly create an empty
    database, so readers check this first (the ledger, nbgrader's gradebook)."""
    parsed = sa.engine.make_url(url)
    return parsed.get_backend_name() == "sqlite" and bool(parsed.database) and parsed.database != ":memory:" \
        and not Path(parsed.database).is_file()


def existing_ledger(url: str) -> str:
    """`url`, for a command that only reads: a SQLite ledger file that does not exist is an error
    naming it, instead of the empty ledger `engine_for` would create (and an empty export)."""
    if sqlite_file_missing(url):
        from ..errors import InputError, Problem
        from ..i18n import t

        raise InputError(Problem(sa.engine.make_url(url).database, t("records.ledger.missing")))
    return url


@contextlib.contextmanager
def engine_for(url: str) -> Iterator[sa.Engine]:
    """An engine on the ledger, upgraded to the newest schema revision; disposed on exit.

    The tables below must match what the migrations produce (tests/test_ledger_migrations.py
    compares them): change a table here AND add a revision in records/migrations/versions/.
    """
    _prepare_sqlite_dir(url)
    engine = sa.create_engine(url)
    try:
        migrate.ensure_current(engine)
        yield engine
    finally:
        engine.dispose()


def _to_record(row: Any) -> TrainingRecord:
    return TrainingRecord(
        learner_id=row.learner_id, course_id=row.course_id, lesson_id=row.lesson_id, assignment=row.assignment,
        score=row.score, max_score=row.max_score, passed=bool(row.passed), hours=row.hours,
        completed_at=row.completed_at, batch_id=row.batch_id, late=bool(row.late),
    )


def learner_records(ledger_url: str, learner_id: str) -> list[TrainingRecord]:
    """The current records of one learner (我的学习档案), newest first."""
    with engine_for(ledger_url) as engine, engine.connect() as conn:
        rows = conn.execute(
            sa.select(records)
            .where(records.c.learner_id == learner_id, records.c.current == sa.true())
            .order_by(records.c.completed_at.desc(), records.c.course_id, records.c.lesson_id)
        ).all()
    return [_to_record(r) for r in rows]


def record_history(ledger_url: str, learner_id: str, course_id: str, lesson_id: str) -> list[dict[str, Any]]:
    """Every row ever rolled in for one lesson of one learner, oldest first (regrades included)."""
    with engine_for(ledger_url) as engine, engine.connect() as conn:
        rows = conn.execute(
            sa.select(records)
            .where(records.c.learner_id == learner_id, records.c.course_id == course_id, records.c.lesson_id == lesson_id)
            .order_by(records.c.id)
        ).mappings().all()
    return [dict(r) for r in rows]


def load_learners(conn: sa.Connection, *, members_only: bool = False) -> list[Learner]:
    """Everyone the ledger knows; `members_only`: those on the current roster (everyone when
    no roster was ever imported). Summaries count members; the training file names everyone."""
    rows = conn.execute(sa.select(learners).order_by(learners.c.branch, learners.c.id)).mappings().all()
    if members_only and any(r["on_roster"] for r in rows):
        rows = [r for r in rows if r["on_roster"]]
    return people_of(rows)


def people_of(rows: Any) -> list[Learner]:
    """Learners from rows of the learners table (load_learners; a snapshot that has the rows)."""
    fields = set(Learner.model_fields)  # on_roster is the ledger's own; joined_on / role once the model has them
    people = []
    for r in rows:
        try:
            people.append(Learner(**{k: v for k, v in r.items() if k in fields}))
        except ValidationError as exc:  # one bad row (an id stored before roll-in checked ids) never stops an export
            log.warning("ledger learners row %r skipped: %s", r.get("id"), str(exc).splitlines()[0])
    return people


def current_rows(conn: sa.Connection, course_id: str | None = None) -> list[Any]:
    query = sa.select(records).where(records.c.current == sa.true())
    if course_id:
        query = query.where(records.c.course_id == course_id)
    return conn.execute(query.order_by(records.c.learner_id, records.c.course_id, records.c.lesson_id)).all()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
