"""Quiz widgets: render a quiz from its public JSON and save every answer at once.

Minimal version (single, multiple, true/false); see issue 3 for the full set.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ipywidgets as w
from IPython.display import display

from ..answers import AnswerStore
from ..draw import drawn_questions, option_order, seed_for
from ..i18n import t
from ..identity import current_learner
from ..model import Quiz


def _question_widget(question: dict, order: list[str], saved: Any, on_change) -> w.Widget:
    labels = {o["id"]: o["text"] for o in question.get("options", [])}
    qtype = question["type"]
    if qtype == "single":
        options = [(labels[i], i) for i in order]
        control = w.RadioButtons(options=options, value=(saved or [None])[0] if saved else None, layout=w.Layout(width="auto"))
        control.observe(lambda ch: on_change([ch["new"]] if ch["new"] is not None else None), names="value")
        return control
    if qtype == "multiple":
        boxes = [w.Checkbox(value=i in (saved or []), description=labels[i], indent=False) for i in order]

        def changed(_):
            on_change([i for i, box in zip(order, boxes) if box.value])

        for box in boxes:
            box.observe(changed, names="value")
        return w.VBox(boxes)
    if qtype == "truefalse":
        options = [(t("quiz.true"), True), (t("quiz.false"), False)]
        control = w.RadioButtons(options=options, value=saved if isinstance(saved, bool) else None)
        control.observe(lambda ch: on_change(ch["new"]), names="value")
        return control
    return w.HTML(f"<i>{qtype}</i>")


def show_quiz(quiz_file: str, folder: str | Path = ".", learner: str | None = None) -> w.Widget:
    folder = Path(folder)
    spec = json.loads((folder / quiz_file).read_text(encoding="utf-8"))
    quiz = Quiz.model_validate(spec["quiz"])
    learner = learner or current_learner()
    seed = seed_for(spec["course_id"], spec["assignment"], learner, quiz.id)
    store = AnswerStore(folder, spec["notebook"], meta={"learner": learner, "assignment": spec["assignment"]})
    saved = store.load()
    drawn = drawn_questions(quiz, seed)
    status = w.HTML()
    rows: list[w.Widget] = [w.HTML(f"<b>{t('quiz.graded_notice') if quiz.mode == 'graded' else t('quiz.practice_notice')}</b>")]
    for n, qid in enumerate(drawn, 1):
        question = spec["questions"][qid]
        order = option_order(quiz, seed, qid, [o["id"] for o in question.get("options", [])])
        saved_label = w.HTML(t("quiz.saved", time=saved[qid].saved_at[11:19]) if qid in saved else t("quiz.not_saved"))

        def on_change(value, qid=qid, label=saved_label):
            answer = store.save(qid, value)
            label.value = t("quiz.saved", time=answer.saved_at[11:19])

        head = w.HTML(f"<b>{t('quiz.question', n=n)}</b> {t('quiz.type.' + question['type'])}{t('quiz.points', points=question['points'])}<br>{question['stem']}")
        rows.append(w.VBox([head, _question_widget(question, order, saved[qid].value if qid in saved else None, on_change), saved_label]))
    rows.append(status)
    box = w.VBox(rows)
    display(box)
    return box
