"""Write many submissions into an nbgrader gradebook with bulk inserts.

nbgrader's Gradebook API costs ≈13 ms per submission; the benchmark and the tests need
thousands. The schema is created by `nbgrader.api.Gradebook(url)` itself (so it is exactly
nbgrader's), then rows go in with one executemany per table through nbgrader's own Table objects.
Each assignment has one notebook with one autograded quiz cell and, optionally, one essay cell
graded by hand.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Sub:
    student: str
    assignment: str
    auto: float
    timestamp: dt.datetime
    essay: float | None = None  # hand grade; None = not graded yet (when the assignment has an essay)


def _uid() -> str:
    return uuid.uuid4().hex


def build_gradebook(
    url: str,
    assignments: dict[str, float],
    submissions: list[Sub],
    *,
    students: dict[str, tuple[str, str]] | None = None,
    essays: dict[str, float] | None = None,
    notebook: str = "quiz",
    course_id: str = "partyquiz",
) -> None:
    """`assignments`: name → max of the quiz cell; `essays`: name → max of its essay cell;
    `students`: id → (last_name, first_name)."""
    from nbgrader import api

    from partyquiz.settings import ensure_venv_on_path

    ensure_venv_on_path()
    api.Gradebook(url, course_id=course_id).close()
    essays = essays or {}
    names = dict(students or {})
    for s in submissions:
        names.setdefault(s.student, ("", ""))
    engine = sa.create_engine(url)
    T = {name: api.Base.metadata.tables[name] for name in (
        "course", "assignment", "notebook", "base_cell", "grade_cells", "student",
        "submitted_assignment", "submitted_notebook", "grade")}
    try:
        with engine.begin() as conn:
            if conn.execute(sa.select(T["course"].c.id).where(T["course"].c.id == course_id)).first() is None:
                conn.execute(T["course"].insert(), [{"id": course_id}])
            known = {r[0] for r in conn.execute(sa.select(T["student"].c.id))}
            new_students = [{"id": sid, "last_name": ln, "first_name": fn} for sid, (ln, fn) in names.items() if sid not in known]
            if new_students:
                conn.execute(T["student"].insert(), new_students)
            nb_of, quiz_cell, essay_cell = _existing(conn, T)
            a_rows, nb_rows, cell_rows, gc_rows = [], [], [], []
            for name, max_score in assignments.items():
                if name in nb_of:
                    continue  # already in the gradebook: add submissions only
                aid, nid, cid = _uid(), _uid(), _uid()
                a_rows.append({"id": aid, "name": name, "course_id": course_id, "duedate": None})
                nb_rows.append({"id": nid, "name": notebook, "assignment_id": aid})
                cell_rows.append({"id": cid, "name": "quiz-score", "notebook_id": nid, "type": "GradeCell"})
                gc_rows.append({"id": cid, "max_score": max_score, "cell_type": "code"})
                nb_of[name], quiz_cell[name] = (aid, nid), cid
                if name in essays:
                    eid = _uid()
                    cell_rows.append({"id": eid, "name": "essay", "notebook_id": nid, "type": "GradeCell"})
                    gc_rows.append({"id": eid, "max_score": essays[name], "cell_type": "markdown"})
                    essay_cell[name] = eid
            for table, rows in (("assignment", a_rows), ("notebook", nb_rows), ("base_cell", cell_rows), ("grade_cells", gc_rows)):
                if rows:
                    conn.execute(T[table].insert(), rows)
            sa_rows, sn_rows, g_rows = [], [], []
            for s in submissions:
                aid, nid = nb_of[s.assignment]
                said, snid = _uid(), _uid()
                sa_rows.append({"id": said, "assignment_id": aid, "student_id": s.student, "timestamp": s.timestamp, "extension": None})
                sn_rows.append({"id": snid, "assignment_id": said, "notebook_id": nid, "flagged": False, "late_submission_penalty": None})
                g_rows.append({"id": _uid(), "notebook_id": snid, "cell_id": quiz_cell[s.assignment], "auto_score": s.auto,
                               "manual_score": None, "extra_credit": None, "needs_manual_grade": False})
                if s.assignment in essay_cell:
                    g_rows.append({"id": _uid(), "notebook_id": snid, "cell_id": essay_cell[s.assignment], "auto_score": None,
                                   "manual_score": s.essay, "extra_credit": None, "needs_manual_grade": s.essay is None})
            for table, rows in (("submitted_assignment", sa_rows), ("submitted_notebook", sn_rows), ("grade", g_rows)):
                if rows:
                    conn.execute(T[table].insert(), rows)
    finally:
        engine.dispose()


def _existing(conn: sa.Connection, T: dict[str, sa.Table]) -> tuple[dict, dict, dict]:
    a, n, c = T["assignment"], T["notebook"], T["base_cell"]
    rows = conn.execute(sa.select(a.c.name, a.c.id, n.c.id, c.c.id, c.c.name).join(n, n.c.assignment_id == a.c.id).join(c, c.c.notebook_id == n.c.id))
    nb_of, quiz, essay = {}, {}, {}
    for name, aid, nid, cid, cell in rows:
        nb_of[name] = (aid, nid)
        (essay if cell == "essay" else quiz)[name] = cid
    return nb_of, quiz, essay


def set_manual_grade(url: str, student: str, assignment: str, cell: str, score: float, notebook: str = "quiz") -> None:
    """What an instructor does in formgrader: give a hand grade (or regrade) one cell."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        grade = gb.find_grade(cell, notebook, assignment, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.db.commit()
