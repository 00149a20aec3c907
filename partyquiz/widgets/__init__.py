"""Quiz widgets: render a quiz from its public JSON and save every answer at once.

A lesson notebook holds `from partyquiz.widgets import show_quiz; show_quiz("<lesson>.quiz.json")`
(written by `partyquiz.build`). Every change is saved through `partyquiz.answers.AnswerStore`
into `<notebook>.answers.json` beside the notebook, and read back on render.

Stable CSS classes, for styling and for browser tests (ipywidgets adds them to the element):

=========================  ==================================================================
`pq-quiz`                  the whole quiz
`pq-progress`              "已答 x / y 题" line (holds a `<progress>` element)
`pq-timer`                 time-left line; inside it `pq-time-left` or `pq-time-up`
`pq-warning`               damaged answers file message (`pq-damaged`, role=alert)
`pq-question`              one question; also `pq-type-<type>` and `pq-qid-<id>` (id with any
                           character outside `[A-Za-z0-9_-]` replaced by `_`)
`pq-stem-box`              heading + stem (`pq-head`, `pq-type`, `pq-stem` inside)
`pq-control`               the input part; also `pq-control-<type>`
`pq-option-<id>`           a multiple-choice checkbox (single / true-false are radio buttons:
                           click the `label` with the option text)
`pq-blank-<n>`             the n-th blank of a fill question (1-based), a text input
`pq-match-<pair id>`       the dropdown for one left item of a matching question
`pq-cloze-part`            a blank inside a cloze stem; also `pq-cloze-<part id>` (a text input,
                           or a dropdown / radio buttons with `pq-cloze-vertical|horizontal`)
`pq-saved`                 saved state; inside it `pq-saved-ok` ("已保存 HH:MM:SS"),
                           `pq-unsaved` or `pq-error`
`pq-check`, `pq-retry`     practice mode buttons
`pq-feedback`              practice mode verdict (`pq-right`, `pq-partial`, `pq-wrong`) and
                           explanation (`pq-explanation`)
=========================  ==================================================================
"""
from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as w
from IPython.display import display

from ..errors import InputError
from .quiz import QuestionView, QuizView, start_timer

__all__ = ["QuizView", "QuestionView", "show_quiz"]


def show_quiz(quiz_file: str, folder: str | Path = ".", learner: str | None = None) -> None:
    """Display the quiz; on a missing or broken quiz file, display a clear message instead.

    Returns None on purpose: it is the last line of the notebook cell, and a returned widget
    would be displayed a second time as the cell's result.
    """
    try:
        view = QuizView(quiz_file, folder, learner)
    except InputError as exc:
        box = w.HTML(f"<div class='pq-error' role='alert'>⚠ {html.escape(str(exc))}</div>")
        box.add_class("pq-warning")
        display(box)
        return
    start_timer(view)
    display(view.widget)
