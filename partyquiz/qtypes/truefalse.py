"""True/false: answer value `True` or `False`; feedback per verdict (Moodle's true/false feedback)."""
from __future__ import annotations

import random
from typing import Any

from ..i18n import t
from ..questiondata import QuestionData, ScoringRule
from .base import LABEL_STYLE, Control, QuestionKind, ipw
from .registry import register


class TrueFalseControl(Control):
    qtype = "truefalse"

    def _build(self, saved: Any):
        return ipw().RadioButtons(
            options=[(t("widgets.true", self.lang), True), (t("widgets.false", self.lang), False)],
            value=saved if isinstance(saved, bool) else None,
            description=t("widgets.answer_label", self.lang), style=LABEL_STYLE,
        )

    @property
    def value(self) -> Any:
        return self.widget.value

    def clear(self) -> None:
        self.widget.value = None

    def fill(self, value: Any) -> None:
        self.widget.value = value if isinstance(value, bool) else None


@register
class TrueFalse(QuestionKind):
    name = "truefalse"
    position = 30
    control = TrueFalseControl

    def check(self, q: QuestionData) -> None:
        if q.answer is None:
            raise ValueError(t("core.qtype.truefalse_no_answer", id=q.id))

    def key(self, q: QuestionData) -> dict[str, Any]:
        key: dict[str, Any] = {"answer": q.answer}
        if q.feedback_true or q.feedback_false:
            key.update(feedback_true=q.feedback_true, feedback_false=q.feedback_false)
        return key

    def public(self, q: QuestionData) -> dict[str, Any]:
        return {}

    def from_public(self, view: dict, key: dict) -> dict[str, Any]:
        return {"answer": key.get("answer"), "feedback_true": key.get("feedback_true", ""), "feedback_false": key.get("feedback_false", "")}

    def fraction(self, q: QuestionData, value: Any, rule: ScoringRule) -> float:
        return 1.0 if isinstance(value, bool) and value == q.answer else 0.0

    def answer_text(self, q: QuestionData, value: Any, lang: str | None) -> str:
        if isinstance(value, bool):
            return t("quiz.true", lang) if value else t("quiz.false", lang)
        return t("widgets.unreadable_answer", lang, value=str(value))

    def key_text(self, q: QuestionData, lang: str | None) -> str:
        return t("quiz.true", lang) if q.answer else t("quiz.false", lang)

    def answer_feedback(self, q: QuestionData, value: Any) -> list[str]:
        if not isinstance(value, bool):
            return []
        text = q.feedback_true if value else q.feedback_false
        return [text] if text else []

    def example(self) -> dict[str, Any]:
        return dict(id="ex-truefalse", stem="“三会一课”是最基本的党内组织生活制度。", answer=True,
                    feedback_true="正确：材料原文如此。", feedback_false="再读一遍材料第二段。", explanation="材料原文如此。")

    def right_answer(self, q: QuestionData) -> Any:
        return q.answer

    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        return not q.answer
