"""The learner's start page "我的课程": every fetched lesson with its progress and hours.

`notebooks/start.ipynb` is a thin face over `show_start_page()`. Lessons are found by their
public quiz files (`<lesson>.quiz.json`) in the learner's folders, as nbgrader fetch lays them
out: `<home>/<assignment>/` or `<home>/<course>/<assignment>/`. Progress counts the questions of
the learner's own draw, so it matches the quiz widget's "已答 x / y 题".
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from IPython.display import HTML, display

from .. import i18n
from ..answers import AnswerStore
from ..draw import drawn_questions, seed_for
from ..identity import current_learner
from ..model import Quiz
from ..scoring import is_answered
from ..settings import settings
from .quiz import clock_time, ui_language

MAX_DEPTH = 3  # home/<course>/<assignment>/<lesson>.quiz.json


@dataclass
class LessonProgress:
    course: str
    lesson: str
    notebook: str  # path relative to home, for the link
    answered: int
    total: int
    hours: float | None
    last_saved: str | None
    problem: str | None = None

    @property
    def done(self) -> bool:
        return self.total > 0 and self.answered >= self.total


def _quiz_files(home: Path) -> list[Path]:
    found = []
    for depth in range(1, MAX_DEPTH + 1):
        pattern = "/".join(["*"] * (depth - 1) + ["*.quiz.json"])
        found += [p for p in home.glob(pattern) if not any(part.startswith(".") for part in p.relative_to(home).parts)]
    return sorted(found)


def _hours(notebook: Path) -> float | None:
    try:
        meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {}).get("partyquiz", {})
        return float(meta["hours"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def lesson_progress(quiz_file: Path, home: Path, learner: str) -> LessonProgress:
    folder = quiz_file.parent
    try:
        spec = json.loads(quiz_file.read_text(encoding="utf-8"))
        quiz = Quiz.model_validate(spec["quiz"])
        drawn = drawn_questions(quiz, seed_for(spec["course_id"], spec["assignment"], learner, quiz.id))
        notebook = folder / f"{spec['notebook']}.ipynb"
        store = AnswerStore(folder, spec["notebook"])
        answers = store.load()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        rel = str(quiz_file.relative_to(home))
        return LessonProgress("", rel, rel, 0, 0, None, None, problem=str(exc))
    answered = sum(1 for qid in drawn if qid in answers and is_answered(answers[qid].value))
    last = max((a.saved_at for a in answers.values()), default=None)
    return LessonProgress(
        course=spec.get("course_title") or spec["course_id"],
        lesson=spec.get("lesson_title") or spec["notebook"],
        notebook=str(notebook.relative_to(home)),
        answered=answered, total=len(drawn), hours=_hours(notebook), last_saved=last,
        problem="; ".join(store.problems) or None,
    )


def find_lessons(home: Path | str, learner: str) -> list[LessonProgress]:
    home = Path(home)
    return [lesson_progress(path, home, learner) for path in _quiz_files(home)]


def render_start_page(lessons: list[LessonProgress], learner: str, lang: str) -> str:
    """Pure: the page as HTML, every value escaped."""
    def t(key: str, **values: object) -> str:
        return html.escape(i18n.t(key, lang, **values))

    parts = [f"<div class='pq-start'><h2>{t('widgets.start.title')}</h2><p>{t('widgets.start.learner', learner=learner)}</p>"]
    if not lessons:
        return "".join(parts) + f"<p class='pq-start-empty'>{t('widgets.start.none')}</p></div>"
    head = "".join(f"<th scope='col'>{t(k)}</th>" for k in (
        "widgets.start.course", "widgets.start.lesson", "widgets.start.progress", "widgets.start.hours", "widgets.start.last_saved"))
    rows = []
    for item in lessons:
        if item.problem and not item.total:
            rows.append(f"<tr class='pq-start-problem'><td colspan='5'>⚠ {t('widgets.start.problem', file=item.notebook, error=item.problem)}</td></tr>")
            continue
        progress = t("widgets.progress", answered=item.answered, total=item.total)
        state = "pq-start-done" if item.done else "pq-start-open"
        link = f"<a href='{html.escape(item.notebook, quote=True)}' title='{t('widgets.start.open')}'>{html.escape(item.lesson)}</a>"
        hours = f"{item.hours:g}" if item.hours is not None else ""
        saved = html.escape(clock_time(item.last_saved) if item.last_saved else "")
        if item.last_saved:
            saved = html.escape(item.last_saved[:10]) + " " + saved
        warn = f"<br><small>⚠ {html.escape(item.problem)}</small>" if item.problem else ""
        rows.append(
            f"<tr class='pq-start-row {state}'><td>{html.escape(item.course)}</td><td>{link}{warn}</td>"
            f"<td>{progress} <progress max='{item.total}' value='{item.answered}' aria-label='{progress}'></progress></td>"
            f"<td>{hours}</td><td>{saved}</td></tr>"
        )
    done = [i for i in lessons if i.done]
    total = t("widgets.start.total", lessons=len(lessons), done=len(done), hours=f"{sum(i.hours or 0 for i in done):g}")
    return "".join(parts) + f"<table class='pq-start-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table><p>{total}</p></div>"


def show_start_page(home: Path | str | None = None, learner: str | None = None) -> None:
    """Display "我的课程". `home`: PARTYQUIZ_HOME, else the folder the notebook runs in."""
    home = Path(home or settings().home or ".").expanduser()
    learner = learner or current_learner()
    lessons = find_lessons(home, learner)
    lang = ui_language({"language": _first_language(home)}) if lessons else i18n.language()
    display(HTML(render_start_page(lessons, learner, lang)))


def _first_language(home: Path) -> str:
    for path in _quiz_files(home):
        try:
            return json.loads(path.read_text(encoding="utf-8")).get("language", "")
        except (OSError, ValueError):
            continue
    return ""
