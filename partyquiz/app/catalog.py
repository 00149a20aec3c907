"""Gather the course centre's lessons: the exchange's list, the fetched folders, the answer
stores, the fetched feedback and the learner's own ledger rows → `LessonEntry` values.

Edge code only: every decision about what the values mean is in `lessons.py`.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..answers import AnswerStore
from ..draw import drawn_questions, seed_for
from ..model import Quiz
from ..scoring import is_answered
from .lessons import LessonEntry, Outcome, Submission, outcome_from_feedback


def read_spec(folder: Path | None, notebook: str) -> dict | None:
    if folder is None:
        return None
    path = Path(folder) / f"{notebook}.quiz.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def entry_from_spec(spec: dict, learner: str) -> LessonEntry:
    quiz = Quiz.model_validate(spec["quiz"])
    lesson = spec.get("lesson") or {}
    drawn = drawn_questions(quiz, seed_for(spec["course_id"], spec["assignment"], learner, quiz.id))
    questions = spec.get("questions", {})
    return LessonEntry(
        course_id=spec["course_id"], course_title=spec.get("course_title") or spec["course_id"],
        assignment=spec["assignment"], notebook=spec["notebook"], title=spec.get("lesson_title") or spec["notebook"],
        hours=float(lesson.get("hours") or 0), required=bool(lesson.get("required", True)),
        deadline=_date(lesson.get("deadline")), pass_mark=float(lesson.get("pass_mark") or 60),
        attempts_allowed=quiz.attempts, counts=quiz.counts, time_limit=quiz.time_limit_minutes,
        time_up=quiz.time_up, mode=quiz.mode, n_questions=len(drawn),
        max_score=round(sum(float(questions.get(q, {}).get("points", 1)) for q in drawn), 4),
    )


def _entry_without_quiz(info: dict, folder: Path | None, notebook: str) -> LessonEntry:
    """A lesson with no quiz: its title and hours come from the notebook itself."""
    title, hours = notebook, 0.0
    try:
        nb = json.loads((Path(folder or info["path"]) / f"{notebook}.ipynb").read_text(encoding="utf-8"))
        hours = float(nb.get("metadata", {}).get("partyquiz", {}).get("hours", 0))
        for cell in nb.get("cells", []):
            source = "".join(cell.get("source", ""))
            if cell.get("cell_type") == "markdown" and source.lstrip().startswith("#"):
                title = source.lstrip().splitlines()[0].lstrip("# ").strip()
                break
    except (OSError, ValueError, KeyError):
        pass
    return LessonEntry(course_id=info.get("course_id", ""), course_title=info.get("course_id", ""),
                       assignment=info["assignment_id"], notebook=notebook, title=title, hours=hours)


def _submissions(meta: dict, exchanged: list[dict], folder: Path | None, notebook: str) -> list[Submission]:
    local = {int(a.get("attempt", i + 1)): a for i, a in enumerate(meta.get("attempts") or []) if a.get("submitted_at")}
    by_stamp = {a.get("timestamp"): a for a in local.values() if a.get("timestamp")}
    found: list[Submission] = []
    for index, info in enumerate(exchanged, 1):  # the exchange's list is the truth about what arrived
        stamp = str(info.get("timestamp", ""))
        mine = by_stamp.get(stamp) or local.get(index) or {}
        found.append(Submission(attempt=index, submitted_at=mine.get("submitted_at") or stamp, answered=int(mine.get("answered", 0)),
                                total=int(mine.get("total", 0)), auto=bool(mine.get("auto", False)), timestamp=stamp))
    if not exchanged:  # the exchange did not answer: what this folder remembers
        for attempt in sorted(local):
            a = local[attempt]
            found.append(Submission(attempt=attempt, submitted_at=a["submitted_at"], answered=int(a.get("answered", 0)),
                                    total=int(a.get("total", 0)), auto=bool(a.get("auto", False)), timestamp=a.get("timestamp", "")))
    for submission in found:
        submission.outcome = feedback_outcome(folder, notebook, submission.timestamp)
    return found


def feedback_page(folder: Path | None, notebook: str, timestamp: str) -> Path | None:
    if folder is None or not timestamp:
        return None
    page = Path(folder) / "feedback" / timestamp / f"{notebook}.html"
    return page if page.is_file() else None


def feedback_outcome(folder: Path | None, notebook: str, timestamp: str) -> Outcome | None:
    page = feedback_page(folder, notebook, timestamp)
    if page is None:
        return None
    try:
        return outcome_from_feedback(page.read_text(encoding="utf-8"))
    except OSError:
        return None


def fill_progress(entry: LessonEntry, folder: Path, learner: str, spec: dict | None, exchanged: list[dict]) -> None:
    """What the learner did in this lesson: answers, study time, attempts and their feedback."""
    store = AnswerStore(folder, entry.notebook)
    answers = store.load()
    meta = store.read_meta()
    if spec is not None:
        quiz = Quiz.model_validate(spec["quiz"])
        drawn = drawn_questions(quiz, seed_for(spec["course_id"], spec["assignment"], learner, quiz.id))
        entry.answered = sum(1 for q in drawn if q in answers and is_answered(answers[q].value))
    entry.attempt = int(meta.get("attempt", 1))
    entry.study_seconds = float((meta.get("study") or {}).get("active_seconds", 0))
    entry.started = bool(answers) or entry.study_seconds > 0 or bool(meta.get("started_at"))
    entry.submissions = _submissions(meta, exchanged, folder, entry.notebook)
    if "submitted_attempt" in meta:
        entry.current_submitted = int(meta["submitted_attempt"]) >= entry.attempt
    elif len(entry.submissions) < entry.attempt:  # a retake not yet handed in
        entry.current_submitted = False
    else:  # submitted some other way (JupyterLab's Assignment List): nothing newer since
        entry.current_submitted = bool(entry.submissions) and not _changed_since(store.path, entry.submissions[-1].timestamp)


def _changed_since(path: Path, stamp: str) -> bool:
    from .lessons import parse_time

    when = parse_time(stamp)
    try:
        return when is None or path.stat().st_mtime > when.timestamp() + 1
    except OSError:
        return False


def gather(released: list[dict], submitted: list[dict], records: list[dict[str, Any]], learner: str,
           folder_of) -> list[LessonEntry]:
    """One entry per released lesson notebook. `folder_of(assignment)` is the local folder."""
    by_assignment = {s["assignment_id"]: s.get("submissions", []) for s in submitted}
    rows = {(r.get("course_id"), r.get("lesson_id")): r for r in records}
    entries: list[LessonEntry] = []
    for info in released:
        assignment = info["assignment_id"]
        local = Path(folder_of(assignment))
        fetched = local.is_dir()
        source = local if fetched else Path(info.get("path") or local)
        notebooks = [n["notebook_id"] for n in info.get("notebooks", [])] or [p.stem for p in sorted(source.glob("*.ipynb"))]
        for notebook in notebooks:
            spec = read_spec(local if fetched else None, notebook) or read_spec(source, notebook) or _listed_spec(info, notebook)
            entry = entry_from_spec(spec, learner) if spec else _entry_without_quiz(info, source, notebook)
            entry.fetched, entry.folder = fetched, str(local)
            if fetched:
                fill_progress(entry, local, learner, spec, by_assignment.get(assignment, []))
            entry.record = rows.get((entry.course_id, entry.notebook))
            entries.append(entry)
    entries.sort(key=lambda e: (e.course_title, e.assignment))
    return entries


def _listed_spec(info: dict, notebook: str) -> dict | None:
    """An exchange that is not a folder may list the learner-side quiz header itself."""
    specs = info.get("partyquiz") or {}
    return specs.get(notebook) if isinstance(specs, dict) else None
