"""A quiz on screen: the learner's draw, one control per question, every change saved at once.

The view is a thin layer over three pure parts: the draw (`partyquiz.draw`, the same one the
grader recomputes from the learner id), the answer store (`partyquiz.answers`, which merges per
question so two tabs or two notebooks never overwrite each other) and scoring (practice mode
only, from the key that the public JSON holds in practice mode).
"""
from __future__ import annotations

import datetime as dt
import html
import json
import threading
from pathlib import Path
from typing import Any, Callable

import ipywidgets as w
from ipywidgets.widgets.widget_string import HTMLStyle

from .. import i18n
from ..answers import AnswerStore
from ..draw import drawn_questions, option_order, seed_for
from ..identity import current_learner
from ..model import Answer, Option, Question, Quiz
from ..qtypes import registry
from ..scoring import is_answered, score_question
from ..settings import settings
from ..markdown import render_markdown
from .questions import Control, css_id, make_control

Clock = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).astimezone()


def ui_language(spec: dict) -> str:
    """PARTYQUIZ_LANG / set_language() win; otherwise the course's own language."""
    if settings().lang or getattr(i18n, "_override", None):
        return i18n.language()
    return "en" if str(spec.get("language", "")).startswith("en") else i18n.DEFAULT


def clock_time(iso: str) -> str:
    """HH:MM:SS of an ISO time stamp, in the time zone it was written in."""
    try:
        return dt.datetime.fromisoformat(iso).strftime("%H:%M:%S")
    except ValueError:
        return iso[11:19]


def question_from_public(view: dict) -> Question:
    """Rebuild a Question from a practice quiz's public view (which holds the key)."""
    key = view.get("key") or {}
    kind = registry.get(view["type"])
    fields: dict[str, Any] = {
        "id": view["id"], "type": view["type"], "stem": view["stem"], "points": view.get("points", 1.0),
        "options": [Option(id=o["id"], text=o["text"], correct=o["id"] in set(key.get("options") or [])) for o in view.get("options", [])],
    }
    fields.update(kind.from_public(view, key))
    return Question(**fields)


def deadline_of(started_at: str | None, minutes: float | None) -> dt.datetime | None:
    if not started_at or not minutes:
        return None
    try:
        return dt.datetime.fromisoformat(started_at) + dt.timedelta(minutes=minutes)
    except ValueError:
        return None


class QuestionView:
    """One question: heading, stem, control, saved state and (practice) feedback."""

    def __init__(self, quiz: "QuizView", number: int, qid: str, question: dict, saved: Answer | None):
        self.quiz = quiz
        self.qid = qid
        self.question = question
        lang = quiz.lang
        kind = registry.get(question["type"])
        order = option_order(quiz.quiz, quiz.seed, qid, kind.option_ids(question))
        self.control: Control = make_control(question, order, lang, saved.value if saved else None, folder=quiz.folder)
        type_label = f"<span class='pq-type'>{html.escape(i18n.t(kind.label_key, lang))}</span>"
        if kind.answerable:
            head = (
                f"<div class='pq-head'><b>{html.escape(i18n.t('widgets.question', lang, n=number))}</b> {type_label}"
                f"{html.escape(i18n.t('widgets.points', lang, points=_fmt(question.get('points', 1))))}</div>"
            )
        else:  # a description: text only, no number, no points
            head = f"<div class='pq-head'>{type_label}</div>"
        # a cloze control shows the stem itself, with its blanks inside the text
        stem = "" if kind.renders_stem else f"<div class='pq-stem'>{render_markdown(question['stem'], quiz.folder)}</div>"
        self.stem = quiz.html(head + stem)
        self.stem.add_class("pq-stem-box")
        self.saved_label = quiz.html()
        self.saved_label.add_class("pq-saved")
        parts: list[w.Widget] = [self.stem, self.control.widget] + ([self.saved_label] if kind.answerable else [])
        # graded mode never shows a verdict: no feedback widget at all (fewer widgets, faster page)
        self.feedback: w.HTML | None = None
        if quiz.practice and kind.answerable:
            self.feedback = quiz.html()
            self.feedback.add_class("pq-feedback")
            self.check = w.Button(description=i18n.t("widgets.check", lang), tooltip=i18n.t("widgets.check", lang))
            self.check.add_class("pq-check")
            self.retry = w.Button(description=i18n.t("widgets.retry", lang), tooltip=i18n.t("widgets.retry", lang))
            self.retry.add_class("pq-retry")
            self.check.on_click(lambda _b: self.show_feedback())
            self.retry.on_click(lambda _b: self.do_retry())
            parts += [w.HBox([self.check, self.retry]), self.feedback]
        self.box = w.VBox(parts, layout=quiz.layout)
        self.box.add_class("pq-question")
        self.box.add_class(f"pq-type-{question['type']}")
        self.box.add_class(f"pq-qid-{css_id(qid)}")
        self.set_saved(saved)
        self.control.on_change(self.changed)

    def changed(self) -> None:
        if self.feedback is not None:
            self.feedback.value = ""  # a right/wrong verdict for a previous answer would mislead
        self.quiz.save(self)

    def set_saved(self, answer: Answer | None, error: str | None = None) -> None:
        lang = self.quiz.lang
        if error:
            text, css = i18n.t("widgets.save_failed", lang, error=error), "pq-error"
        elif answer is None:
            text, css = i18n.t("widgets.not_saved", lang), "pq-unsaved"
        else:
            text = i18n.t("widgets.saved", lang, time=clock_time(answer.saved_at))
            text += i18n.t("widgets.late", lang) if answer.late else ""
            css = "pq-saved-ok"
        self.saved_label.value = f"<span class='{css}' role='status'>{html.escape(text)}</span>"

    def show_feedback(self) -> None:
        """Practice mode: right/wrong and the explanation, from the key in the public view."""
        lang = self.quiz.lang
        value = self.control.value
        assert self.feedback is not None, "feedback is for practice quizzes only"
        parts = []
        kind = registry.get(self.question["type"])
        if kind.scored and not kind.manual:
            question = question_from_public(self.question)
            score = score_question(question, value, self.quiz.quiz.rule, question.points)
            if score >= question.points - 1e-9:
                parts.append(f"<span class='pq-right'>✔ {html.escape(i18n.t('widgets.right', lang))}</span>")
            elif score > 0:
                parts.append(f"<span class='pq-partial'>◐ {html.escape(i18n.t('widgets.partial', lang, score=_fmt(score), points=_fmt(question.points)))}</span>")
            else:
                parts.append(f"<span class='pq-wrong'>✘ {html.escape(i18n.t('widgets.wrong', lang))}</span>")
            # what the bank says about this very answer (option, blank or true/false feedback)
            parts += [f"<div class='pq-answer-feedback'>{html.escape(note)}</div>" for note in kind.answer_feedback(question, value)]
        explanation = self.question.get("explanation") or ""
        if explanation:
            parts.append(f"<div class='pq-explanation'><b>{html.escape(i18n.t('widgets.explanation', lang))}</b>{render_markdown(explanation, self.quiz.folder)}</div>")
        self.feedback.value = "".join(parts)

    def do_retry(self) -> None:
        self.control.clear()
        if self.feedback is not None:
            self.feedback.value = ""


def _fmt(number: Any) -> str:
    return f"{float(number):g}"


class QuizView:
    """The whole quiz: notice, progress, timer, questions."""

    def __init__(self, quiz_file: str, folder: str | Path = ".", learner: str | None = None, *, clock: Clock | None = None):
        self.folder = Path(folder)
        self.clock = clock or _now
        self.spec = load_spec(self.folder / quiz_file)
        self.lang = ui_language(self.spec)
        self.quiz = Quiz.model_validate(self.spec["quiz"])
        self.practice = self.quiz.mode == "practice"
        self.learner = learner or current_learner()
        self.seed = seed_for(self.spec["course_id"], self.spec["assignment"], self.learner, self.quiz.id)
        self.drawn = drawn_questions(self.quiz, self.seed)
        self.store = AnswerStore(self.folder, self.spec["notebook"], meta={"learner": self.learner, "assignment": self.spec["assignment"]})
        # one Layout and one style shared by the static parts: a 50-question quiz has ~40% fewer
        # widget models for the browser to create (see docs/performance.md)
        self.layout = w.Layout()
        self.html_style = HTMLStyle()
        saved = self.store.load()
        self.problems = list(self.store.problems)
        self.started_at = self._start_clock()
        self.answered = {qid for qid, a in saved.items() if is_answered(a.value)}
        # what the learner is asked: descriptions are shown but count as neither answered nor not
        self.asked = [q for q in self.drawn if registry.get(self.spec["questions"][q]["type"]).answerable]
        numbers = {qid: n for n, qid in enumerate(self.asked, 1)}
        self.views = [QuestionView(self, numbers.get(qid, 0), qid, self.spec["questions"][qid], saved.get(qid)) for qid in self.drawn]
        self.progress = self.html()
        self.progress.add_class("pq-progress")
        self.timer = self.html()
        self.timer.add_class("pq-timer")
        self.widget = self._layout()
        self.refresh_progress()
        self.refresh_timer()

    # --- set-up -------------------------------------------------------------------------
    def html(self, value: str = "") -> w.HTML:
        return w.HTML(value, layout=self.layout, style=self.html_style)

    def _start_clock(self) -> str | None:
        """Graded quizzes with a time limit start at first render: `started_at` of the file."""
        started = self.store.started_at()
        if started is None and self.quiz.time_limit_minutes and not self.practice and not self.problems:
            self.store.save_many({})  # writes the file with started_at and no answers
            started = self.store.started_at()
        return started

    def _layout(self) -> w.VBox:
        lang = self.lang
        title = self.spec.get("quiz", {}).get("title") or ""
        notice = i18n.t("widgets.practice_notice" if self.practice else "widgets.graded_notice", lang)
        header = f"<div class='pq-title'><b>{html.escape(title)}</b></div><div class='pq-notice'>{html.escape(notice)}</div>"
        rows: list[w.Widget] = [self.html(header)]
        if self.problems:
            warning = self.html(f"<div class='pq-damaged' role='alert'>⚠ {html.escape(i18n.t('widgets.damaged', lang, problems='; '.join(self.problems)))}</div>")
            warning.add_class("pq-warning")
            rows.append(warning)
        rows += [self.progress, self.timer] + [view.box for view in self.views]
        box = w.VBox(rows, layout=self.layout)
        box.add_class("pq-quiz")
        return box

    # --- behaviour ----------------------------------------------------------------------
    def deadline(self) -> dt.datetime | None:
        return None if self.practice else deadline_of(self.started_at, self.quiz.time_limit_minutes)

    def is_late(self) -> bool:
        deadline = self.deadline()
        return deadline is not None and self.clock() > deadline

    def save(self, view: QuestionView) -> Answer | None:
        value = view.control.value
        try:
            answer = self.store.save(view.qid, value, late=self.is_late(), saved_at=self.clock().isoformat(timespec="milliseconds"))
        except OSError as exc:  # disk full, read-only folder: say so, keep the answer on the page
            view.set_saved(None, error=str(exc))
            return None
        view.set_saved(answer)
        (self.answered.add if is_answered(value) else self.answered.discard)(view.qid)
        self.refresh_progress()
        self.refresh_timer()
        return answer

    def refresh_progress(self) -> None:
        answered = len(self.answered & set(self.asked))
        text = i18n.t("widgets.progress", self.lang, answered=answered, total=len(self.asked))
        self.progress.value = (
            f"<div role='status'>{html.escape(text)} "
            f"<progress max='{len(self.asked)}' value='{answered}' aria-label='{html.escape(text)}'></progress></div>"
        )

    def refresh_timer(self) -> bool:
        """Update the time-left line; returns False once there is nothing left to count."""
        deadline = self.deadline()
        if deadline is None:
            self.timer.value = ""
            return False
        left = (deadline - self.clock()).total_seconds()
        if left <= 0:
            self.timer.value = f"<span class='pq-time-up' role='alert'>{html.escape(i18n.t('widgets.time_up', self.lang))}</span>"
            return False
        minutes, seconds = divmod(int(left), 60)
        self.timer.value = f"<span class='pq-time-left'>{html.escape(i18n.t('widgets.time_left', self.lang, minutes=minutes, seconds=seconds))}</span>"
        return True


def load_spec(path: Path) -> dict:
    """The public quiz file; a clear error naming the file when it is missing or broken."""
    from ..errors import InputError, Problem

    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(Problem(str(path), i18n.t("widgets.quiz_missing"))) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), i18n.t("widgets.quiz_broken", error=str(exc)))) from exc
    missing = [k for k in ("course_id", "assignment", "notebook", "quiz", "questions") if k not in spec]
    if missing:
        raise InputError(Problem(str(path), i18n.t("widgets.quiz_broken", error=", ".join(missing))))
    return spec


# One timer thread per quiz file in this kernel: re-running the cell replaces the old one.
_timers: dict[str, threading.Event] = {}


def start_timer(view: QuizView, interval: float = 1.0) -> None:
    if view.deadline() is None:
        return
    key = str((view.folder / view.spec["notebook"]).resolve())
    if key in _timers:
        _timers[key].set()
    stop = threading.Event()
    _timers[key] = stop

    def tick() -> None:
        # ipywidgets may be updated from a thread: the kernel sends the comm message
        while not stop.wait(interval):
            if not view.refresh_timer():
                break

    threading.Thread(target=tick, name="partyquiz-timer", daemon=True).start()
