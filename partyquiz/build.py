"""Build: a course → nbgrader source notebooks, one assignment per lesson.

For lesson `l1` of course `c` the build writes `grader/source/c-l1/`:
- `l1.ipynb`: the lesson text (Markdown cells via jupytext), the quiz widget cell (locked),
  one manually graded cell per essay, and one autograded test cell whose *hidden* part holds
  the QuizKey and whose last expression is the quiz score as a plain float;
- `l1.quiz.json`: the learner-side quiz (stems and options; the key only in practice mode).

Why one test cell per quiz: with per-learner draws the maximum per question cell would depend
on the draw; the quiz total does not (see docs/design-notes.md). Re-running is safe: files are
rewritten atomically and identical input gives identical output.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from .banks.media import MEDIA_DIR, read_media, referenced
from .files import atomic_write_bytes, atomic_write_text
from .i18n import t
from .model import Course, Lesson, QuizKey
from .scoring import auto_max, points_for
from .testcell import essay_grade_id, test_cell_source
from .markdown import fix_cjk_emphasis

NBGRADER_SCHEMA = 3


def quiz_key(course: Course, lesson: Lesson) -> QuizKey:
    assert lesson.quiz is not None
    pool = [q for s in lesson.quiz.sections for q in s.pool]
    return QuizKey(
        course_id=course.id,
        assignment=course.assignment_name(lesson),
        notebook=lesson.id,
        quiz=lesson.quiz,
        questions={q: course.questions[q] for q in pool},
    )


def public_quiz(course: Course, lesson: Lesson) -> dict:
    """What the learner's notebook may hold: no key unless the quiz is for practice."""
    key = quiz_key(course, lesson)
    practice = key.quiz.mode == "practice"
    return {
        "course_id": course.id,
        "course_title": course.title,
        "assignment": key.assignment,
        "notebook": lesson.id,
        "lesson_title": lesson.title,
        "language": course.language,
        "quiz": key.quiz.model_dump(mode="json"),
        # what the learner app shows before the quiz starts (学时, 必修/选修, deadline, pass mark)
        "lesson": {"hours": lesson.hours, "minutes": lesson.minutes, "required": lesson.required,
                   "deadline": lesson.deadline.isoformat() if lesson.deadline else None,
                   "after_deadline": lesson.after_deadline,
                   "pass_mark": course.pass_mark_for(lesson), "year": course.year},
        # a section's points override the question's: show the learner what the grader counts
        "questions": {qid: {**q.public(with_key=practice), "points": points_for(key, qid)} for qid, q in key.questions.items()},
    }


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": NBGRADER_SCHEMA, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


# The texts a learner reads in the notebook are in the course's language (course.yml `language`).
def widget_cell_source(lesson: Lesson, lang: str | None = None) -> str:
    return (
        f"# {t('core.build.quiz_cell', lang)}\n"
        "from partyquiz.widgets import show_quiz\n"
        f'show_quiz("{lesson.id}.quiz.json")'
    )


def essay_cell_source(question_id: str, stem: str, lang: str | None = None) -> str:
    return t("core.build.essay_cell", lang, id=question_id, stem=fix_cjk_emphasis(stem))


def lesson_notebook(course: Course, lesson: Lesson) -> nbformat.NotebookNode:
    # bold/italic next to Chinese punctuation written as tags: CommonMark would show `**` (see markdown.py)
    text = fix_cjk_emphasis(course.lesson_text.get(lesson.id, f"# {lesson.title}\n"))
    # One Markdown cell per heading: a long lesson reads section by section in JupyterLab.
    nb = jupytext.reads(text, fmt={"extension": ".md", "format_name": "markdown", "split_at_heading": True})
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "partyquiz": {"course": course.id, "assignment": course.assignment_name(lesson), "notebook": lesson.id, "hours": lesson.hours},
    }
    for index, cell in enumerate(nb.cells):
        cell.metadata.update(_meta(f"lesson_{lesson.id}_{index}", locked=True))
    if lesson.quiz is not None:
        key = quiz_key(course, lesson)
        nb.cells.append(nbformat.v4.new_code_cell(widget_cell_source(lesson, course.language), metadata=_meta(f"quiz_{key.quiz.id}_widget", locked=True)))
        for qid, question in key.questions.items():
            if question.kind.manual:  # essays: one manually graded cell each
                cell = nbformat.v4.new_markdown_cell(essay_cell_source(qid, question.stem, course.language))
                cell.metadata.update(_meta(essay_grade_id(qid), grade=True, solution=True, points=question.points))
                nb.cells.append(cell)
        points = auto_max(key)
        if points > 0:
            cell = nbformat.v4.new_code_cell(test_cell_source(key, course.language), metadata=_meta(f"quiz_{key.quiz.id}_score", grade=True, locked=True, points=points))
            nb.cells.append(cell)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"  # stable ids: a rebuild gives the same file
    return nb


@dataclass
class BuiltAssignment:
    name: str
    folder: Path
    notebook: Path


def build_course(course: Course, source_root: Path) -> list[BuiltAssignment]:
    built = []
    for lesson in course.lessons:
        name = course.assignment_name(lesson)
        folder = source_root / name
        folder.mkdir(parents=True, exist_ok=True)
        nb = lesson_notebook(course, lesson)
        notebook = folder / f"{lesson.id}.ipynb"
        atomic_write_text(notebook, nbformat.writes(nb) + "\n")
        shown = [course.lesson_text.get(lesson.id, "")]
        if lesson.quiz is not None:
            public = public_quiz(course, lesson)
            atomic_write_text(folder / f"{lesson.id}.quiz.json", json.dumps(public, ensure_ascii=False, indent=1))
            shown += _texts(public["questions"])
        copy_media(course, shown, folder)
        built.append(BuiltAssignment(name, folder, notebook))
    return built


def _texts(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [t for v in data.values() for t in _texts(v)]
    if isinstance(data, list):
        return [t for v in data for t in _texts(v)]
    return []


def copy_media(course: Course, texts: list[str], folder: Path) -> list[Path]:
    """Copy the course media files these texts show (`media/<name>`) into the assignment folder,
    so nbgrader releases them with the notebook and the widgets show them offline. Only what
    the learner's side shows is copied: an image in a graded quiz's explanation stays behind."""
    if not course.folder:
        return []
    source = Path(course.folder) / MEDIA_DIR
    copied = []
    for ref in sorted({r for text in texts for r in referenced(text)}):
        data = read_media(source, ref)
        if data is None:
            continue  # a missing file is named by the course check, not here
        target = folder / ref
        if not target.exists() or target.read_bytes() != data:
            atomic_write_bytes(target, data)
        copied.append(target)
    return copied
