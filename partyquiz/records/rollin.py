"""Roll a grading batch from nbgrader's gradebook into the training-record ledger.

- Idempotent: a record equal to the current one (score, max, pass, hours, date) changes
  nothing, so rolling the same batch in again leaves the ledger as it was.
- History: a changed result (a regrade, a hand-graded essay) adds a new current row and marks
  the old one superseded; nothing is deleted.
- Atomic: everything happens in one transaction; an error half-way leaves the previous state.
"""
from __future__ import annotations

import datetime as dt
import glob
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..i18n import t
from ..model import Course, Learner, Lesson, QuizResult
from . import ledger as L
from .gradebook import Submission, read_submissions
from .rules import Rules, load_rules


@dataclass
class RollInSummary:
    batch_id: str
    added: int = 0  # new current records (first results and regrades)
    superseded: int = 0  # earlier records kept as history
    unchanged: int = 0
    history: int = 0  # retakes that do not count (quiz.counts), kept as history beside the result
    pending: int = 0  # submissions not graded yet, or waiting for a hand grade
    unknown: list[str] = field(default_factory=list)  # assignments of no known course
    items: int = 0  # per-question rows stored for item analysis
    not_on_roster: list[str] = field(default_factory=list)  # learners graded but on no roster yet
    bad_ids: list[str] = field(default_factory=list)  # "<id>: why" for student ids that break the id rule (skipped)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.items or self.history)


def percent_of(score: float, max_score: float) -> float:
    return 100.0 * score / max_score if max_score else 0.0


@dataclass(slots=True)
class NewRecord:
    """`model.TrainingRecord` before it has a batch: a plain slots dataclass, not a pydantic
    model, because a full regrade builds one per learner and lesson (200k in the benchmark)
    from values the gradebook query already typed; `ledger.learner_records` hands out the
    validated `TrainingRecord`s."""

    learner_id: str
    course_id: str
    lesson_id: str
    assignment: str
    score: float
    max_score: float
    passed: bool
    hours: float
    completed_at: dt.datetime | None
    late: bool
    # 补考: which attempt is the result when the lesson allows several (quiz.counts), "" = the newest
    counting: str = ""

    @property
    def percent(self) -> float:
        return percent_of(self.score, self.max_score)

    def counts_over(self, row: Any) -> bool:
        """Whether this record, rather than the current `row`, is the result of the lesson.
        The same attempt (same submission time) is a regrade and always wins; another attempt wins
        when it scores higher (`highest`) or was submitted later (`last`)."""
        if not self.counting or row.completed_at == self.completed_at:
            return True
        if self.counting == "highest":
            return self.percent > percent_of(row.score, row.max_score) + 1e-9
        return row.completed_at is None or (self.completed_at is not None and self.completed_at > row.completed_at)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.learner_id, self.course_id, self.lesson_id)

    def same_as(self, row: Any) -> bool:
        return (
            abs(self.score - row.score) < 1e-9 and abs(self.max_score - row.max_score) < 1e-9
            and bool(row.passed) == self.passed and abs(self.hours - row.hours) < 1e-9
            and row.completed_at == self.completed_at and bool(row.late) == self.late
        )


_ID_ADAPTER = None


def valid_learner_id(value: str) -> bool:
    """The id rule of `model.Learner.id` (letters, digits, `_.-`, starting with a letter or digit)."""
    global _ID_ADAPTER
    from pydantic import TypeAdapter, ValidationError

    from ..model import StableId

    if _ID_ADAPTER is None:
        _ID_ADAPTER = TypeAdapter(StableId)
    try:
        _ID_ADAPTER.validate_python(value)
        return True
    except ValidationError:
        return False


def lesson_index(courses: list[Course]) -> dict[str, tuple[Course, Lesson]]:
    return {course.assignment_name(lesson): (course, lesson) for course in courses for lesson in course.lessons}


def to_record(sub: Submission, course: Course, lesson: Lesson, rules: Rules, studied_minutes: float | None = None) -> NewRecord:
    """Pure: one graded submission → the record it earns under the rules. `studied_minutes`:
    the active study time the learner app recorded (None when it recorded none); online lessons
    are credited from it, never above the lesson's hours."""
    passed = percent_of(sub.score, sub.max_score) + 1e-9 >= rules.pass_mark_for(course, lesson)
    completed = sub.submitted_at.replace(microsecond=0) if sub.submitted_at else None
    retakes = lesson.quiz is not None and lesson.quiz.attempts > 1
    return NewRecord(
        learner_id=sub.student_id, course_id=course.id, lesson_id=lesson.id, assignment=sub.assignment,
        score=sub.score, max_score=sub.max_score, passed=passed, hours=rules.lesson_hours(lesson, passed, form=course.form, studied_minutes=studied_minutes),
        completed_at=completed, late=sub.late, counting=lesson.quiz.counts if retakes else "",
    )


def roll_in(
    ledger_url: str,
    gradebook_url: str,
    courses: list[Course],
    *,
    results: list[QuizResult] | None = None,
    roster: list[Learner] | None = None,
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    batch_id: str | None = None,
    rules_path: Path | str | None = None,
    study_minutes: dict[tuple[str, str], float] | None = None,
    submitted: Path | str | None = None,
    _fail_after: int | None = None,
) -> RollInSummary:
    """Read the gradebook with one query, then write the ledger in one transaction.

    `study_minutes`: (learner, assignment) → active study time the learner app recorded, for
    the online crediting rule (missing entries fall back as `online.missing_study_time` says).
    Without it the collected answers files are read for it: in `submitted` (the folder nbgrader
    collected into, `<course root>/submitted`), by default the `submitted` folder beside a SQLite
    gradebook (`submitted_folder`), so a re-roll credits the time the learner studied, not the
    fallback. `assignments` / `students`: only those assignments / learners are read, from the
    gradebook, the answers files and the ledger, and only those learners' roster rows written (a
    mark saved for one essay re-rolls one learner's lesson); their records come out as a
    whole-lesson roll-in would give them.
    A lesson that allows retakes (quiz.attempts > 1) keeps the attempt its `quiz.counts` names as
    the current record; the other attempts are kept as history.
    `_fail_after` raises after that many records were written: the tests use it to prove an
    interrupted roll-in leaves the previous state whole.
    """
    rules = load_rules(rules_path)
    if study_minutes is None:
        folder = submitted if submitted is not None else submitted_folder(gradebook_url)
        study_minutes = study_minutes_in(folder, assignments, students) if folder is not None else {}
    batch_id = batch_id or "batch-" + dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    summary = RollInSummary(batch_id=batch_id)
    index = lesson_index(courses)
    new: list[NewRecord] = []
    graded: dict[str, Submission] = {}  # one submission per learner rolled in (their gradebook name)
    for sub in read_submissions(gradebook_url, assignments, students):
        if sub.assignment not in index:
            if sub.assignment not in summary.unknown:
                summary.unknown.append(sub.assignment)
            continue
        if not sub.graded:
            summary.pending += 1
            continue
        if not valid_learner_id(sub.student_id):
            # one bad id (`-2-3`, `@SUM(1)`) would later break every export: report it, roll in the rest
            reason = t("records.rollin.bad_id", id=repr(sub.student_id), assignment=sub.assignment)
            if reason not in summary.bad_ids:
                summary.bad_ids.append(reason)
            continue
        graded.setdefault(sub.student_id, sub)
        new.append(to_record(sub, *index[sub.assignment], rules, study_minutes.get((sub.student_id, sub.assignment))))
    with L.engine_for(ledger_url) as engine, engine.begin() as conn:
        _store_courses(conn, courses, rules)
        summary.not_on_roster = _store_learners(conn, _of(roster or [], students), graded)
        not_counting = _store_records(conn, new, batch_id, summary, _fail_after, students)
        if results:
            _store_items(conn, [r for r in results if (r.learner_id, r.assignment) not in not_counting], index, summary, students)
        if summary.changed and conn.execute(sa.select(L.batches.c.id).where(L.batches.c.id == batch_id)).first() is None:
            conn.execute(L.batches.insert().values(id=batch_id, rolled_at=L.utcnow(), added=summary.added, superseded=summary.superseded))
    return summary


def _of(roster: list[Learner], students: list[str] | None) -> list[Learner]:
    """The roster rows of `students` (all of them when None)."""
    if students is None:
        return roster
    wanted = set(students)
    return [p for p in roster if p.id in wanted]


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    """Insert new rows, update existing ones (portable across SQLite and PostgreSQL)."""
    if not rows:
        return
    key_cols = [table.c[k] for k in keys]
    existing = {tuple(r) for r in conn.execute(sa.select(*key_cols))}
    fresh = [r for r in rows if tuple(r[k] for k in keys) not in existing]
    known = [r for r in rows if tuple(r[k] for k in keys) in existing]
    if fresh:
        conn.execute(table.insert(), fresh)
    if known:
        others = [c.name for c in table.columns if c.name not in keys and c.name in known[0]]
        stmt = (
            table.update()
            .where(*[table.c[k] == sa.bindparam(f"k_{k}") for k in keys])
            .values({c: sa.bindparam(f"v_{c}") for c in others})
        )
        conn.execute(stmt, [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in others}} for r in known])


def _store_courses(conn: sa.Connection, courses: list[Course], rules: Rules) -> None:
    _upsert(conn, L.courses, [
        {"id": c.id, "title": c.title, "organiser": c.organiser, "institution": c.institution, "form": c.form, "year": c.year}
        for c in courses
    ], ("id",))
    _upsert(conn, L.lessons, [
        {"course_id": c.id, "lesson_id": l.id, "title": l.title, "hours": l.hours, "minutes": l.minutes,
         "pass_mark": rules.pass_mark_for(c, l), "kind": l.kind, "weight": l.weight}  # stage tests are kind "test"
        for c in courses for l in c.lessons
    ], ("course_id", "lesson_id"))
    _upsert(conn, L.questions, [
        {"course_id": c.id, "question_id": q.id, "type": q.type, "stem": q.stem,
         "options": json.dumps([[o.id, o.text, o.correct] for o in q.options], ensure_ascii=False)}
        for c in courses for q in c.questions.values()
    ], ("course_id", "question_id"))


def _store_learners(conn: sa.Connection, roster: list[Learner], students: dict[str, Submission]) -> list[str]:
    """The roster wins; a gradebook student not on any roster is kept with the name nbgrader has."""
    rows = [{**l.model_dump(), "on_roster": True} for l in roster]
    _upsert(conn, L.learners, rows, ("id",))
    known = {r[0] for r in conn.execute(sa.select(L.learners.c.id))}
    strangers = [
        {"id": sid, "name": (s.last_name + s.first_name) or sid, "branch": "", "unit": "", "position": "",
         "category": "", "rank": "", "id_number": "", "on_roster": False}
        for sid, s in students.items() if sid not in known
    ]
    if strangers:
        conn.execute(L.learners.insert(), strangers)
    off = {r[0] for r in conn.execute(sa.select(L.learners.c.id).where(L.learners.c.on_roster == sa.false()))}
    return sorted(sid for sid in students if sid in off)


def _current(conn: sa.Connection, columns: list[Any], students: list[str] | None) -> list[Any]:
    """The current records (`columns` of them), of `students` only when given."""
    r = L.records
    query = sa.select(*columns).where(r.c.current == sa.true())
    if students is None:
        return conn.execute(query).all()
    who = sorted(set(students))
    return [row for start in range(0, len(who), 500)  # SQLite caps the parameters of one statement
            for row in conn.execute(query.where(r.c.learner_id.in_(who[start:start + 500])))]


def _store_records(conn: sa.Connection, new: list[NewRecord], batch_id: str, summary: RollInSummary,
                   fail_after: int | None, students: list[str] | None = None) -> set[tuple[str, str]]:
    """Write the new records; returns (learner, assignment) of attempts kept as history only
    (a retake that does not count under `quiz.counts`)."""
    r = L.records
    current = {(row.learner_id, row.course_id, row.lesson_id): row for row in _current(conn, [r], students)}
    to_insert, to_supersede, beside = [], [], []
    for rec in new:
        old = current.get(rec.key)
        if old is not None and rec.same_as(old):
            summary.unchanged += 1
        elif old is not None and not rec.counts_over(old):
            beside.append((rec, old))
        else:
            to_insert.append(rec)
            if old is not None:
                to_supersede.append(old)
    history = _history_only(conn, beside, summary)
    if fail_after is not None:
        to_insert_head, to_insert = to_insert[:fail_after], to_insert[fail_after:]
        _insert_records(conn, to_insert_head, batch_id)
        raise RuntimeError(f"roll-in interrupted after {fail_after} records (test hook)")
    if history:
        # an attempt that does not count: history from the start, pointing at the record that counts
        _insert_records(conn, [rec for rec, _ in history], batch_id, current=False)
        fresh = {(row.learner_id, row.course_id, row.lesson_id): row.id for row in conn.execute(
            sa.select(r.c.id, r.c.learner_id, r.c.course_id, r.c.lesson_id)
            .where(r.c.batch_id == batch_id, r.c.current == sa.false(), r.c.superseded_by.is_(None)))}
        conn.execute(r.update().where(r.c.id == sa.bindparam("row")).values(superseded_by=sa.bindparam("keeper")),
                     [{"row": fresh[rec.key], "keeper": old.id} for rec, old in history if rec.key in fresh])
    if to_supersede:
        conn.execute(r.update().where(r.c.id == sa.bindparam("old")).values(current=False), [{"old": o.id} for o in to_supersede])
    _insert_records(conn, to_insert, batch_id)
    if to_supersede:
        # link each superseded row to its successor, so the history reads as a chain
        newest = {
            (row.learner_id, row.course_id, row.lesson_id): row.id
            for row in conn.execute(sa.select(r.c.id, r.c.learner_id, r.c.course_id, r.c.lesson_id).where(r.c.batch_id == batch_id, r.c.current == sa.true()))
        }
        conn.execute(
            r.update().where(r.c.id == sa.bindparam("old")).values(superseded_by=sa.bindparam("new")),
            [{"old": o.id, "new": newest[(o.learner_id, o.course_id, o.lesson_id)]} for o in to_supersede],
        )
    summary.added += len(to_insert)
    summary.superseded += len(to_supersede)
    summary.history += len(history)
    return {(rec.learner_id, rec.assignment) for rec, _ in beside}


def _history_only(conn: sa.Connection, beside: list[tuple[NewRecord, Any]], summary: RollInSummary) -> list[tuple[NewRecord, Any]]:
    """Of the attempts that do not count, those not stored yet (rolling the batch in again adds nothing)."""
    if not beside:
        return []
    r = L.records
    learners = sorted({rec.learner_id for rec, _ in beside})
    kept: dict[tuple[str, str, str], list[Any]] = {}
    for start in range(0, len(learners), 500):  # SQLite caps the parameters of one statement
        for row in conn.execute(sa.select(r).where(r.c.current == sa.false(), r.c.learner_id.in_(learners[start:start + 500]))):
            kept.setdefault((row.learner_id, row.course_id, row.lesson_id), []).append(row)
    out = []
    for rec, old in beside:
        if any(rec.same_as(row) for row in kept.get(rec.key, [])):
            summary.unchanged += 1
        else:
            out.append((rec, old))
    return out


RECORD_FIELDS = ("learner_id", "course_id", "lesson_id", "assignment", "score", "max_score", "passed", "hours", "completed_at", "late")


def _insert_records(conn: sa.Connection, recs: list[NewRecord], batch_id: str, *, current: bool = True) -> None:
    if not recs:
        return
    if conn.dialect.name == "sqlite":
        # SQLAlchemy's per-row parameter processing is most of the cost of 200,000 inserts; the
        # values are written here exactly as its SQLite DateTime and Boolean types store them.
        cols = (*RECORD_FIELDS, "batch_id", "current")
        sql = f"INSERT INTO records ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        conn.exec_driver_sql(sql, [
            (r.learner_id, r.course_id, r.lesson_id, r.assignment, r.score, r.max_score, int(r.passed), r.hours,
             r.completed_at.strftime("%Y-%m-%d %H:%M:%S.%f") if r.completed_at else None, int(r.late), batch_id, int(current))
            for r in recs
        ])
        return
    conn.execute(L.records.insert(), [{**{f: getattr(rec, f) for f in RECORD_FIELDS}, "batch_id": batch_id, "current": current} for rec in recs])


def _store_items(conn: sa.Connection, results: list[QuizResult], index: dict[str, tuple[Course, Lesson]], summary: RollInSummary,
                 students: list[str] | None = None) -> None:
    """Per-question data for item analysis, attached to the learner's current record once."""
    r = L.records
    current = {(row.learner_id, row.assignment): row.id for row in _current(conn, [r.c.id, r.c.learner_id, r.c.assignment], students)}
    have = {row[0] for row in conn.execute(sa.select(L.items.c.record_id).distinct())}
    rows = []
    for result in results:
        record_id = current.get((result.learner_id, result.assignment))
        if record_id is None or record_id in have or result.assignment not in index:
            continue
        have.add(record_id)
        for position, qs in enumerate(result.scores):
            if qs.needs_manual:
                continue  # an essay's mark is given by hand in formgrader, not known here
            rows.append({
                "record_id": record_id, "question_id": qs.question_id, "position": position, "score": qs.score,
                "max_score": qs.max_score, "answered": qs.answered, "value": json.dumps(qs.value, ensure_ascii=False),
            })
    if rows:
        conn.execute(L.items.insert(), rows)
    summary.items += len(rows)


def study_minutes_in(submitted: Path | str, assignments: list[str] | None = None,
                     students: list[str] | None = None) -> dict[tuple[str, str], float]:
    """(learner, assignment) → minutes of active study the learner app recorded, read from the
    answers files nbgrader collected (`<submitted>/<learner>/<assignment>/*.answers.json`, field
    `study.active_seconds`); the notebooks of one assignment add up. A file with no `study` block
    (the plain notebook widgets record none) and an unreadable file give no entry: that lesson then
    falls back as `online.missing_study_time` says, never to 0. `assignments` / `students`: only
    their folders are looked in."""
    root = Path(submitted)
    out: dict[tuple[str, str], float] = {}
    learners = [glob.escape(s) for s in students] if students is not None else ["*"]
    lessons = [glob.escape(a) for a in assignments] if assignments is not None else ["*"]
    paths = {p for who in learners for what in lessons for p in root.glob(f"{who}/{what}/*.answers.json")}
    for path in sorted(paths):
        learner, assignment = path.parent.parent.name, path.parent.name
        try:
            study = json.loads(path.read_text(encoding="utf-8")).get("study")
            if not isinstance(study, dict) or "active_seconds" not in study:
                continue
            seconds = float(study["active_seconds"])
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        out[(learner, assignment)] = out.get((learner, assignment), 0.0) + max(0.0, seconds) / 60
    return {k: round(v, 2) for k, v in out.items()}


def submitted_folder(gradebook_url: str) -> Path | None:
    """Where nbgrader collected the answers files of a gradebook: `<course root>/submitted` beside
    a SQLite `gradebook.db` (nbgrader's layout); None when there is no such folder."""
    url = sa.engine.make_url(gradebook_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    folder = Path(url.database).resolve().parent / "submitted"
    return folder if folder.is_dir() else None
