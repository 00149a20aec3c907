"""nbgrader's gradebook read and written with bulk SQL, through nbgrader's own table models.

Why not the `Gradebook` API row by row: it commits per cell and re-queries every relation, about
100 ms per submission here; one transaction of bulk statements per chunk of submissions takes
well under 1 ms per submission (docs/performance.md). The rows written are exactly those
`nbgrader autograde` writes (SubmittedAssignment, SubmittedNotebook, Grade, Comment), with the
same rule for `needs_manual_grade` as nbgrader's `SaveAutoGrades`, and manual scores and
comments a grader already gave are never touched. Works on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import sqlalchemy as sa
from nbgrader import api as nbapi

from ..errors import NotFound
from .connections import engine  # one engine per URL (shared with the workbench), forgotten in forked workers

NO_RESPONSE = "No response."  # nbgrader's auto comment for an untouched solution cell


@dataclass
class CellInfo:
    id: str
    name: str
    max_score: float | None  # None: not a grade cell
    cell_type: str
    solution: bool
    source: str = ""
    checksum: str | None = None
    locked: bool = False


@dataclass
class NotebookInfo:
    id: str
    name: str
    grade_cells: dict[str, CellInfo] = field(default_factory=dict)
    solution_cells: dict[str, CellInfo] = field(default_factory=dict)
    source_cells: dict[str, CellInfo] = field(default_factory=dict)


@dataclass
class AssignmentInfo:
    id: str
    name: str
    duedate: dt.datetime | None
    notebooks: dict[str, NotebookInfo]


@dataclass
class NotebookRows:
    """What grading one notebook of one submission decides: auto scores and auto comments."""

    auto_scores: dict[str, float | None]  # grade cell name → auto_score
    auto_comments: dict[str, str | None]  # solution cell name → auto_comment


@dataclass
class SubmissionRows:
    student: str
    timestamp: dt.datetime | None  # naive UTC, as nbgrader stores it
    notebooks: dict[str, NotebookRows]


def read_assignment(url: str, assignment: str) -> AssignmentInfo:
    """The assignment as `generate_assignment` stored it: notebooks, grade/solution/source cells."""
    T = _tables()
    if url.startswith("sqlite:///") and not os.path.exists(url.removeprefix("sqlite:///")):
        raise NotFound(assignment)  # no gradebook yet (and do not create an empty file)
    with engine(url).connect() as conn:
        try:
            row = conn.execute(sa.select(T.assignment.c.id, T.assignment.c.duedate).where(T.assignment.c.name == assignment)).first()
        except sa.exc.DBAPIError:  # a database without nbgrader's tables
            row = None
        if row is None:
            raise NotFound(assignment)
        info = AssignmentInfo(row.id, assignment, row.duedate, {})
        for nb in conn.execute(sa.select(T.notebook.c.id, T.notebook.c.name).where(T.notebook.c.assignment_id == row.id)):
            info.notebooks[nb.name] = NotebookInfo(nb.id, nb.name)
        by_id = {n.id: n for n in info.notebooks.values()}
        if not by_id:
            return info
        cells = conn.execute(
            sa.select(T.base_cell.c.id, T.base_cell.c.name, T.base_cell.c.notebook_id, T.base_cell.c.type,
                      T.grade_cells.c.max_score, T.grade_cells.c.cell_type)
            .outerjoin(T.grade_cells, T.grade_cells.c.id == T.base_cell.c.id)
            .where(T.base_cell.c.notebook_id.in_(list(by_id)))
        )
        for c in cells:
            nb = by_id[c.notebook_id]
            if c.type == "GradeCell":
                nb.grade_cells[c.name] = CellInfo(c.id, c.name, float(c.max_score), c.cell_type, False)
            elif c.type == "SolutionCell":
                nb.solution_cells[c.name] = CellInfo(c.id, c.name, None, "", True)
        sources = conn.execute(
            sa.select(T.source_cell.c.name, T.source_cell.c.notebook_id, T.source_cell.c.cell_type, T.source_cell.c.locked,
                      T.source_cell.c.source, T.source_cell.c.checksum).where(T.source_cell.c.notebook_id.in_(list(by_id)))
        )
        for s in sources:
            nb = by_id[s.notebook_id]
            nb.source_cells[s.name] = CellInfo("", s.name, None, s.cell_type, s.name in nb.solution_cells, s.source or "", s.checksum, bool(s.locked))
            if s.name in nb.grade_cells:
                nb.grade_cells[s.name].solution = s.name in nb.solution_cells
    return info


class _T:
    pass


@lru_cache(maxsize=1)
def _tables() -> _T:
    t = _T()
    t.student = nbapi.Student.__table__
    t.assignment = nbapi.Assignment.__table__
    t.notebook = nbapi.Notebook.__table__
    t.base_cell = nbapi.BaseCell.__table__
    t.grade_cells = nbapi.GradeCell.__table__
    t.source_cell = nbapi.SourceCell.__table__
    t.submitted_assignment = nbapi.SubmittedAssignment.__table__
    t.submitted_notebook = nbapi.SubmittedNotebook.__table__
    t.grade = nbapi.Grade.__table__
    t.comment = nbapi.Comment.__table__
    return t


def _uuid() -> str:
    return uuid.uuid4().hex


def write_submissions(url: str, info: AssignmentInfo, batch: Iterable[SubmissionRows]) -> None:
    """Insert or update the rows of a batch of submissions in ONE transaction.

    needs_manual_grade follows nbgrader's SaveAutoGrades: True when a manual score exists or when
    there is no auto score. late_submission_penalty is reset to None as nbgrader's default late
    plugin (penalty_method='none') leaves it.
    """
    batch = list(batch)
    if not batch:
        return
    T = _tables()
    students = [s.student for s in batch]
    with engine(url).begin() as conn:
        known = {r[0] for r in conn.execute(sa.select(T.student.c.id).where(T.student.c.id.in_(students)))}
        new_students = [{"id": s} for s in dict.fromkeys(students) if s not in known]
        if new_students:
            conn.execute(sa.insert(T.student), new_students)
        subs = {r.student_id: r.id for r in conn.execute(
            sa.select(T.submitted_assignment.c.id, T.submitted_assignment.c.student_id)
            .where(T.submitted_assignment.c.assignment_id == info.id, T.submitted_assignment.c.student_id.in_(students)))}
        ins_sub, upd_sub = [], []
        for s in batch:
            if s.student in subs:
                upd_sub.append({"b_id": subs[s.student], "b_ts": s.timestamp})
            else:
                subs[s.student] = _uuid()
                ins_sub.append({"id": subs[s.student], "assignment_id": info.id, "student_id": s.student, "timestamp": s.timestamp})
        if ins_sub:
            conn.execute(sa.insert(T.submitted_assignment), ins_sub)
        if upd_sub:
            sa_t = T.submitted_assignment
            conn.execute(sa.update(sa_t).where(sa_t.c.id == sa.bindparam("b_id")).values(timestamp=sa.bindparam("b_ts")), upd_sub)
        _write_notebooks(conn, info, batch, subs)


def _write_notebooks(conn, info: AssignmentInfo, batch: list[SubmissionRows], subs: dict[str, str]) -> None:
    T = _tables()
    sub_ids = [subs[s.student] for s in batch]
    snbs = {(r.assignment_id, r.notebook_id): r.id for r in conn.execute(
        sa.select(T.submitted_notebook.c.id, T.submitted_notebook.c.assignment_id, T.submitted_notebook.c.notebook_id)
        .where(T.submitted_notebook.c.assignment_id.in_(sub_ids)))}
    ins_nb, upd_nb = [], []
    for s in batch:
        for nb in info.notebooks.values():
            key = (subs[s.student], nb.id)
            if key in snbs:
                upd_nb.append({"b_id": snbs[key]})
            else:
                snbs[key] = _uuid()
                ins_nb.append({"id": snbs[key], "assignment_id": key[0], "notebook_id": nb.id, "flagged": False, "late_submission_penalty": None})
    if ins_nb:
        conn.execute(sa.insert(T.submitted_notebook), ins_nb)
    if upd_nb:
        t = T.submitted_notebook
        conn.execute(sa.update(t).where(t.c.id == sa.bindparam("b_id")).values(late_submission_penalty=None), upd_nb)
    snb_ids = list(snbs.values())
    grades = {(r.notebook_id, r.cell_id): (r.id, r.manual_score) for r in conn.execute(
        sa.select(T.grade.c.id, T.grade.c.notebook_id, T.grade.c.cell_id, T.grade.c.manual_score).where(T.grade.c.notebook_id.in_(snb_ids)))}
    comments = {(r.notebook_id, r.cell_id): r.id for r in conn.execute(
        sa.select(T.comment.c.id, T.comment.c.notebook_id, T.comment.c.cell_id).where(T.comment.c.notebook_id.in_(snb_ids)))}
    ins_g, upd_g, ins_c, upd_c = [], [], [], []
    for s in batch:
        for nb in info.notebooks.values():
            snb = snbs[(subs[s.student], nb.id)]
            rows = s.notebooks.get(nb.name) or NotebookRows({}, {})
            for name, cell in nb.grade_cells.items():
                auto = rows.auto_scores.get(name, 0.0)
                existing = grades.get((snb, cell.id))
                manual = existing[1] if existing else None
                needs = manual is not None or auto is None
                if existing:
                    upd_g.append({"b_id": existing[0], "b_auto": auto, "b_needs": needs})
                else:
                    ins_g.append({"id": _uuid(), "notebook_id": snb, "cell_id": cell.id, "auto_score": auto, "needs_manual_grade": needs})
            for name, cell in nb.solution_cells.items():
                text = rows.auto_comments.get(name, NO_RESPONSE)
                existing_c = comments.get((snb, cell.id))
                if existing_c:
                    upd_c.append({"b_id": existing_c, "b_text": text})
                else:
                    ins_c.append({"id": _uuid(), "notebook_id": snb, "cell_id": cell.id, "auto_comment": text})
    g, c = T.grade, T.comment
    if ins_g:
        conn.execute(sa.insert(g), ins_g)
    if upd_g:
        conn.execute(sa.update(g).where(g.c.id == sa.bindparam("b_id")).values(auto_score=sa.bindparam("b_auto"), needs_manual_grade=sa.bindparam("b_needs")), upd_g)
    if ins_c:
        conn.execute(sa.insert(c), ins_c)
    if upd_c:
        conn.execute(sa.update(c).where(c.c.id == sa.bindparam("b_id")).values(auto_comment=sa.bindparam("b_text")), upd_c)


def read_rows(url: str, assignment: str, students: Iterable[str] | None = None) -> dict[str, SubmissionRows]:
    """Per student: timestamp, per notebook the auto scores and auto comments (the equivalence test's view)."""
    T = _tables()
    info = read_assignment(url, assignment)
    cell_names = {c.id: (nb.name, c.name) for nb in info.notebooks.values() for c in [*nb.grade_cells.values(), *nb.solution_cells.values()]}
    nb_names = {nb.id: nb.name for nb in info.notebooks.values()}
    out: dict[str, SubmissionRows] = {}
    sa_t, sn = T.submitted_assignment, T.submitted_notebook
    q = sa.select(sa_t.c.student_id, sa_t.c.timestamp, sn.c.id, sn.c.notebook_id).join(sn, sn.c.assignment_id == sa_t.c.id).where(sa_t.c.assignment_id == info.id)
    if students is not None:
        q = q.where(sa_t.c.student_id.in_(list(students)))
    with engine(url).connect() as conn:
        snb = {}
        for r in conn.execute(q):
            sub = out.setdefault(r.student_id, SubmissionRows(r.student_id, r.timestamp, {}))
            sub.notebooks[nb_names[r.notebook_id]] = NotebookRows({}, {})
            snb[r.id] = sub.notebooks[nb_names[r.notebook_id]]
        if not snb:
            return out
        for r in conn.execute(sa.select(T.grade.c.notebook_id, T.grade.c.cell_id, T.grade.c.auto_score).where(T.grade.c.notebook_id.in_(list(snb)))):
            snb[r.notebook_id].auto_scores[cell_names[r.cell_id][1]] = r.auto_score
        for r in conn.execute(sa.select(T.comment.c.notebook_id, T.comment.c.cell_id, T.comment.c.auto_comment).where(T.comment.c.notebook_id.in_(list(snb)))):
            snb[r.notebook_id].auto_comments[cell_names[r.cell_id][1]] = r.auto_comment
    return out


def needs_manual(url: str, assignment: str) -> dict[tuple[str, str], bool]:
    """(student, cell name) → needs_manual_grade, for tests and the summary."""
    T = _tables()
    info = read_assignment(url, assignment)
    names = {c.id: c.name for nb in info.notebooks.values() for c in nb.grade_cells.values()}
    sa_t, sn, g = T.submitted_assignment, T.submitted_notebook, T.grade
    q = (sa.select(sa_t.c.student_id, g.c.cell_id, g.c.needs_manual_grade)
         .join(sn, sn.c.assignment_id == sa_t.c.id).join(g, g.c.notebook_id == sn.c.id).where(sa_t.c.assignment_id == info.id))
    with engine(url).connect() as conn:
        return {(r.student_id, names[r.cell_id]): bool(r.needs_manual_grade) for r in conn.execute(q)}


def submitted_students(url: str, assignment: str) -> set[str]:
    """Students with a submission row for the assignment (a lost gradebook means: grade again)."""
    T = _tables()
    sa_t, a = T.submitted_assignment, T.assignment
    q = sa.select(sa_t.c.student_id).join(a, a.c.id == sa_t.c.assignment_id).where(a.c.name == assignment)
    with engine(url).connect() as conn:
        return {r[0] for r in conn.execute(q)}
