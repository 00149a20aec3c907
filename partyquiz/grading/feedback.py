"""Learner feedback made by this project, not by `nbgrader generate_feedback`.

nbgrader's feedback prints the hidden test cell, which holds the key of the whole pool. This
page shows, per question the learner was DRAWN, their answer, the score and the explanation;
the right answer only when the quiz allows it (`reveal_answers`). It is built from the
QuizResult, which lists drawn questions only, so an undrawn question cannot appear. An essay
shows the instructor's comment (`comments`, from the gradebook: see workbench/marking.essay_marks)
under its mark. Every string from a course, a learner or an instructor is HTML-escaped.

It is written where nbgrader's `release_feedback` looks for it
(`feedback/<student>/<assignment>/<notebook>.html` beside `timestamp.txt` and
`submission_secret.txt`), so learners fetch it through the exchange as usual.
"""
from __future__ import annotations

import shutil
from html import escape
from pathlib import Path
from typing import Any

from ..files import place
from ..i18n import t
from ..model import Question, QuizKey, QuizResult

_CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:52em;margin:2em auto;padding:0 1em;color:#222}
h1{color:#b71c1c;font-size:1.4em}.q{border:1px solid #ddd;border-radius:6px;padding:.8em 1em;margin:1em 0}
.right{border-left:6px solid #2e7d32}.wrong{border-left:6px solid #c62828}.part{border-left:6px solid #f9a825}.manual{border-left:6px solid #1565c0}
.meta{color:#555;font-size:.9em}.comment{background:#fff8e1;border-radius:4px;padding:.5em .7em}.total{font-size:1.2em;font-weight:bold}"""


def _answer_text(question: Question, value: Any, lang: str | None) -> str:
    if value is None or value == "" or value == []:
        return t("grading.feedback.blank", lang)
    return question.kind.answer_text(question, value, lang)


def _key_text(question: Question, lang: str | None) -> str:
    return question.kind.key_text(question, lang)


def render_feedback(key: QuizKey, result: QuizResult, lang: str | None = None, comments: dict[str, str] | None = None) -> str:
    """One HTML page for one learner and one quiz notebook. `comments`: question id → the
    instructor's comment (essays)."""
    comments = comments or {}
    parts = [f"<h1>{escape(key.quiz.title or key.notebook)}</h1>",
             f'<p class="meta">{escape(t("grading.feedback.learner", lang, learner=result.learner_id))}</p>']
    auto = sum(s.score for s in result.scores if not s.needs_manual)
    auto_max = sum(s.max_score for s in result.scores if not s.needs_manual)
    # the learner app reads the figures from these attributes (partyquiz/app/lessons.outcome_from_feedback)
    pending = sum(1 for s in result.scores if s.needs_manual)
    figures = f'data-score="{round(auto, 4)}" data-max="{round(result.max_score, 4)}" data-pending="{pending}"'
    parts.append(f'<p class="total" {figures}>{escape(t("grading.feedback.total", lang, score=round(auto, 2), max=round(auto_max, 2)))}</p>')
    if result.late:
        parts.append(f'<p class="meta">{escape(t("grading.feedback.late", lang))}</p>')
    for n, qs in enumerate(result.scores, 1):
        question = key.questions[qs.question_id]
        if qs.needs_manual:
            css, verdict = "manual", t("grading.feedback.manual", lang)
        elif qs.score >= qs.max_score:
            css, verdict = "right", t("quiz.right", lang)
        elif qs.score > 0:
            css, verdict = "part", t("grading.feedback.partial", lang)
        else:
            css, verdict = "wrong", t("quiz.wrong", lang)
        block = [f'<div class="q {css}"><p><b>{escape(t("quiz.question", lang, n=n))}</b> {escape(question.kind.stem_text(question))}</p>',
                 f"<p>{escape(t('grading.feedback.your_answer', lang))}{escape(_answer_text(question, qs.value, lang))}</p>"]
        # what the bank says about this particular answer (option, blank or verdict feedback)
        block += [f'<p class="note">{escape(note)}</p>' for note in question.kind.answer_feedback(question, qs.value)]
        score = t("grading.feedback.score_manual", lang, max=qs.max_score) if qs.needs_manual else t("grading.feedback.score", lang, score=qs.score, max=qs.max_score)
        block.append(f'<p class="meta">{escape(verdict)} · {escape(score)}</p>')
        if comments.get(qs.question_id):
            lines = "<br>".join(escape(line) for line in comments[qs.question_id].splitlines())
            block.append(f'<p class="comment"><b>{escape(t("grading.feedback.comment", lang))}</b>{lines}</p>')
        if key.quiz.reveal_answers and not qs.needs_manual:
            block.append(f"<p>{escape(t('grading.feedback.key', lang))}{escape(_key_text(question, lang))}</p>")
        if question.explanation:
            block.append(f"<p>{escape(t('quiz.explanation', lang))}{escape(question.explanation)}</p>")
        block.append("</div>")
        parts.append("".join(block))
    title = escape(t("grading.feedback.title", lang, quiz=key.quiz.title or key.notebook))
    html_lang = "en" if (lang or "").startswith("en") else "zh-CN"
    return (f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n")


def write_feedback(root: Path, student: str, assignment: str, pages: dict[str, str], submitted: Path) -> Path | None:
    """Write the pages where release_feedback expects them; None when the submission has no secret.

    Without `submission_secret.txt` (not submitted through the exchange) nbgrader's release
    would crash on the whole batch, and the learner could not fetch it anyway.
    """
    if not (submitted / "submission_secret.txt").exists():
        return None
    folder = root / "feedback" / student / assignment
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        shutil.rmtree(folder)
        folder.mkdir()
    for name in ("timestamp.txt", "submission_secret.txt"):
        place(submitted / name, folder / name)
    for notebook, page in pages.items():
        (folder / f"{notebook}.html").write_text(page, encoding="utf-8")
    return folder
