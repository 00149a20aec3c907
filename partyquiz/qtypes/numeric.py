"""Numeric: answer value a number or the text as typed (parsed with full-width digits and
thousands separators allowed).

The accepted answers are the question's own `value ± tolerance` or `range` (full credit),
then `numeric_answers`, each with its weight and feedback; the first that holds the number
counts, as in Moodle's numerical question.
"""
from __future__ import annotations

import random
from typing import Any

from ..i18n import t
from ..questiondata import NumericAnswer, QuestionData, ScoringRule
from .base import LABEL_STYLE, QuestionKind, TextControl, ipw, number_text, numeric_hits, numeric_target_text, parse_number
from .registry import register


class NumericControl(TextControl):
    qtype = "numeric"

    def _build(self, saved: Any):
        # Stored as typed (a string) so the learner sees exactly what they wrote; scoring parses it.
        text = "" if saved is None or isinstance(saved, bool) else str(saved)
        return ipw().Text(value=text, placeholder=t("widgets.number_placeholder", self.lang),
                          description=t("widgets.answer_label", self.lang), style=LABEL_STYLE)

    def fill(self, value: Any) -> None:
        self.widget.value = "" if value is None else str(value)


def accepted(q: QuestionData) -> list[NumericAnswer]:
    """Every accepted answer in the order they are tried: the question's own value first."""
    own = [NumericAnswer(value=q.value, tolerance=q.tolerance, range=q.range)] if (q.value is not None or q.range is not None) else []
    return own + list(q.numeric_answers)


def first_numeric_match(answers: list[NumericAnswer], value: Any) -> NumericAnswer | None:
    number = parse_number(value)
    if number is None:
        return None
    return next((a for a in answers if numeric_hits(number, a.value, a.tolerance, a.range)), None)


def answer_target(answer: NumericAnswer) -> float:
    return answer.value if answer.value is not None else answer.range[0]  # type: ignore[index]


@register
class Numeric(QuestionKind):
    name = "numeric"
    position = 50
    control = NumericControl

    def check(self, q: QuestionData) -> None:
        answers = accepted(q)
        if not answers:
            raise ValueError(t("core.qtype.numeric_no_answer", id=q.id))
        if not any(a.fraction >= 1.0 - 1e-9 for a in answers):
            raise ValueError(t("core.qtype.numeric_no_full", id=q.id))

    def key(self, q: QuestionData) -> dict[str, Any]:
        key: dict[str, Any] = {"value": q.value, "tolerance": q.tolerance, "range": q.range}
        if q.numeric_answers:
            key["numeric_answers"] = [a.model_dump(mode="json") for a in q.numeric_answers]
        return key

    def public(self, q: QuestionData) -> dict[str, Any]:
        return {}

    def from_public(self, view: dict, key: dict) -> dict[str, Any]:
        return {"value": key.get("value"), "tolerance": key.get("tolerance") or 0.0, "range": key.get("range"),
                "numeric_answers": key.get("numeric_answers") or []}

    def fraction(self, q: QuestionData, value: Any, rule: ScoringRule) -> float:
        hit = first_numeric_match(accepted(q), value)
        return 0.0 if hit is None else float(hit.fraction)

    def answer_text(self, q: QuestionData, value: Any, lang: str | None) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return t("widgets.unreadable_answer", lang, value=str(value))
        return value.strip() if isinstance(value, str) else number_text(float(value))

    def key_text(self, q: QuestionData, lang: str | None) -> str:
        return " / ".join(numeric_target_text(a.value, a.tolerance, a.range) for a in accepted(q) if a.fraction >= 1.0 - 1e-9)

    def answer_feedback(self, q: QuestionData, value: Any) -> list[str]:
        hit = first_numeric_match(accepted(q), value)
        return [hit.feedback] if hit is not None and hit.feedback else []

    def example(self) -> dict[str, Any]:
        return dict(id="ex-numeric", stem="党员每年集中学习培训不少于多少学时？", value=32,
                    numeric_answers=[NumericAnswer(range=(24, 31), fraction=0.5, feedback="不少于 32 学时。")],
                    explanation="不少于 32 学时。")

    def right_answer(self, q: QuestionData) -> Any:
        return answer_target(next(a for a in accepted(q) if a.fraction >= 1.0 - 1e-9))

    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        return (q.value or 0) + 1000
