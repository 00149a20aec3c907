"""简答题批阅: the essay queue, one essay at a time, marks through nbgrader's Gradebook.

The queue is one SQL query over nbgrader's tables (grade cells named `essay_<question id>`);
the stem and the reference answer / rubric come from the course, the learner's text from the
collected answers file. A mark is written through nbgrader's Gradebook (its session and its
`Grade` model), so formgrader shows the same mark.

Two markers at once: each marker's page remembers the mark it showed (`seen`); saving is a
compare-and-set on the grade row (UPDATE … WHERE manual_score IS <seen>): the first save wins,
the second finds the row changed, is told who-knows-what score is there now, and nothing is
overwritten.

After a mark the learner's feedback page is rebuilt from their answers with the essay marks in
it, released through the exchange, and the lesson is rolled into the ledger again (only that
learner's record changes), so the learner's result page and 我的学习档案 show the new total.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..i18n import t
from ..model import Course, QuizKey
from ..testcell import ESSAY_PREFIX, essay_question_id

ESSAYS = sa.text(f"""
SELECT s.student_id AS student, a.name AS assignment, nb.name AS notebook, bc.name AS grade_id,
       gc.max_score AS max_score, g.manual_score AS manual_score, g.needs_manual_grade AS waiting,
       s.timestamp AS submitted_at, a.duedate AS duedate, c.manual_comment AS comment
FROM grade g
JOIN grade_cells gc ON gc.id = g.cell_id
JOIN base_cell bc ON bc.id = g.cell_id
JOIN submitted_notebook sn ON sn.id = g.notebook_id
JOIN notebook nb ON nb.id = sn.notebook_id
JOIN submitted_assignment s ON s.id = sn.assignment_id
JOIN assignment a ON a.id = s.assignment_id
-- the comment hangs on the essay's solution cell: nbgrader's other base_cell row of the same name
LEFT JOIN base_cell sc ON sc.notebook_id = bc.notebook_id AND sc.name = bc.name AND sc.type = 'SolutionCell'
LEFT JOIN comment c ON c.notebook_id = g.notebook_id AND c.cell_id = sc.id
WHERE bc.name LIKE '{ESSAY_PREFIX}%'
ORDER BY a.name, s.timestamp, s.student_id, bc.name
""")


class MarkError(ValueError):
    """A mark that cannot be saved (out of range): the message says what to do, in the page's language."""


@dataclass
class EssayItem:
    student: str
    assignment: str
    notebook: str
    grade_id: str
    question_id: str
    max_score: float
    manual_score: float | None
    waiting: bool
    late: bool
    stem: str = ""
    reference: str = ""
    answer: str = ""
    learner_name: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.student, self.assignment, self.notebook, self.grade_id)


@dataclass
class MarkResult:
    saved: bool
    current: float | None  # the mark now in the gradebook
    feedback_released: bool = False
    problems: list[str] = field(default_factory=list)


def _keys(courses: list[Course], only: set[str] | None = None) -> dict[str, tuple[Course, QuizKey]]:
    """assignment → (course, answer key); `only`: just these assignments (building a key reads the
    lesson's banks, so the queue builds the keys of lessons with essays only)."""
    from ..build import quiz_key

    out = {}
    for course in courses:
        for lesson in course.lessons:
            name = course.assignment_name(lesson)
            if lesson.quiz is not None and (only is None or name in only):
                out[name] = (course, quiz_key(course, lesson))
    return out


def load_answer(course_root: Path, item: EssayItem) -> str:
    """The learner's essay text from the collected answers file (read when the essay is shown:
    the queue itself is one SQL query, however many essays wait)."""
    item.answer = _answer(course_root, item)
    return item.answer


def _answer(course_root: Path, item: EssayItem) -> str:
    from ..answers import answers_path, load_answers
    from ..grading.essays import essay_text

    path = answers_path(Path(course_root) / "submitted" / item.student / item.assignment, item.notebook)
    answer = load_answers(path).answers.get(item.question_id) if path.exists() else None
    return (essay_text(answer.value) if answer is not None else None) or ""


def essay_queue(gradebook_url: str, course_root: Path, courses: list[Course], *, waiting_only: bool = True,
                names: dict[str, str] | None = None, with_answers: bool = True) -> list[EssayItem]:
    """Every essay (or every essay still waiting), oldest submission first, with stem and reference;
    with the learner's answer too unless `with_answers` is False (then `load_answer` when shown)."""
    from ..grading.connections import engine
    from .overview import gradebook_exists

    if not gradebook_exists(gradebook_url):
        return []
    try:
        with engine(gradebook_url).connect() as conn:
            rows = [r for r in conn.execute(ESSAYS) if r.waiting or not waiting_only]
    except sa.exc.OperationalError:
        return []
    keys = _keys(courses, {r.assignment for r in rows})
    items = []
    for r in rows:
        qid = essay_question_id(r.grade_id)
        item = EssayItem(student=r.student, assignment=r.assignment, notebook=r.notebook, grade_id=r.grade_id, question_id=qid,
                         max_score=float(r.max_score or 0), manual_score=r.manual_score, waiting=bool(r.waiting),
                         late=bool(r.duedate and r.submitted_at and r.submitted_at > r.duedate),
                         learner_name=(names or {}).get(r.student, ""))
        if r.assignment in keys:
            question = keys[r.assignment][1].questions.get(qid)
            if question is not None:
                item.stem, item.reference = question.stem, question.reference or question.explanation
        if with_answers:
            item.answer = _answer(course_root, item)
        items.append(item)
    return items


def check_score(score: float | None, max_score: float) -> float:
    if score is None or score != score:
        raise MarkError(t("workbench.mark.need_score", max=f"{max_score:g}"))
    if not 0 <= score <= max_score:
        raise MarkError(t("workbench.mark.range", max=f"{max_score:g}"))
    return float(score)


def save_mark(gradebook_url: str, item: EssayItem, score: float, comment: str = "", *, seen: float | None) -> MarkResult:
    """Compare-and-set the essay's manual score through nbgrader's Gradebook.

    `seen` is the manual score the marker's page showed (None: unmarked). If the row holds
    anything else now, another marker saved first: nothing is written and `saved` is False.
    """
    from nbgrader.api import Comment, Gradebook, Grade, MissingEntry

    score = check_score(score, item.max_score)
    with Gradebook(gradebook_url) as gb:
        grade = gb.find_grade(item.grade_id, item.notebook, item.assignment, item.student)
        same = Grade.manual_score.is_(None) if seen is None else Grade.manual_score == seen
        changed = (gb.db.query(Grade).filter(Grade.id == grade.id, same)
                   .update({Grade.manual_score: score, Grade.needs_manual_grade: False}, synchronize_session=False))
        if changed != 1:
            gb.db.rollback()
            gb.db.expire_all()
            return MarkResult(saved=False, current=gb.find_grade(item.grade_id, item.notebook, item.assignment, item.student).manual_score)
        try:
            note = gb.find_comment(item.grade_id, item.notebook, item.assignment, item.student)
            gb.db.query(Comment).filter(Comment.id == note.id).update({Comment.manual_comment: comment or None}, synchronize_session=False)
        except MissingEntry:  # an essay cell without a comment row: the mark still counts
            pass
        gb.db.commit()
    item.manual_score, item.waiting = score, False
    return MarkResult(saved=True, current=score)


def essay_marks(gradebook_url: str, student: str, assignment: str) -> tuple[dict[str, float], dict[str, str]]:
    """This learner's marked essays: question id → manual score, and question id → the
    instructor's comment (workbench or formgrader: both write nbgrader's `comment.manual_comment`;
    only non-empty comments)."""
    from ..grading.connections import engine

    with engine(gradebook_url).connect() as conn:
        rows = [r for r in conn.execute(ESSAYS) if r.student == student and r.assignment == assignment]
    marks = {essay_question_id(r.grade_id): float(r.manual_score) for r in rows if r.manual_score is not None}
    comments = {essay_question_id(r.grade_id): r.comment.strip() for r in rows if r.comment and r.comment.strip()}
    return marks, comments


def refresh_learner(site, course: Course, item: EssayItem, *, ledger_url: str | None, roster=None, lang: str | None = None) -> MarkResult:
    """Rebuild and release this learner's feedback with the essay marks, then roll the lesson in."""
    from ..answers import answers_path, load_answers
    from ..grading.feedback import render_feedback, write_feedback
    from ..scoring import grade_quiz

    result = MarkResult(saved=True, current=item.manual_score)
    course_key = _keys([course], {item.assignment}).get(item.assignment)
    if course_key is None:
        result.problems.append(t("workbench.mark.no_course", assignment=item.assignment))
        return result
    key = course_key[1]
    submitted = Path(site.root) / "submitted" / item.student / item.assignment
    answers = load_answers(answers_path(submitted, key.notebook)).answers
    quiz = grade_quiz(key, item.student, answers)
    marks, comments = essay_marks(site.gradebook_url, item.student, item.assignment)  # comments reach the learner
    scores = [s.model_copy(update={"score": marks[s.question_id], "needs_manual": False}) if s.needs_manual and s.question_id in marks else s
              for s in quiz.scores]
    quiz = quiz.model_copy(update={"scores": scores, "late": item.late})
    if write_feedback(Path(site.root), item.student, item.assignment, {key.notebook: render_feedback(key, quiz, lang, comments)}, submitted):
        try:
            released = site.api().release_feedback(item.assignment, student_id=item.student)
            result.feedback_released = bool(released.get("success", True))
            if not result.feedback_released:
                result.problems.append(t("workbench.mark.release_failed", error=(released.get("error") or "").strip()[-200:]))
        except Exception as exc:  # the mark is saved; say what did not happen
            result.problems.append(t("workbench.mark.release_failed", error=str(exc)[-200:]))
    if ledger_url:
        from ..records.rollin import roll_in

        # this learner's lesson only, with the study time the learner app recorded (as at grading:
        # without it the fallback would change the hours)
        roll_in(ledger_url, site.gradebook_url, [course], roster=roster, assignments=[item.assignment], students=[item.student],
                submitted=Path(site.root) / "submitted")
    return result


def display_name(item: EssayItem, position: int, blind: bool) -> str:
    """Who wrote it: hidden behind a number when blind marking is on."""
    if blind:
        return t("workbench.mark.anonymous", n=position)
    return f"{item.learner_name}（{item.student}）" if item.learner_name else item.student

