"""Description: text between questions (Moodle's "description"). Shown, never answered, never
scored, never in the maximum; its points are 0 whatever the bank says."""
from __future__ import annotations

import random
from typing import Any

from ..i18n import t
from ..questiondata import QuestionData
from .base import Control, KeylessKind, ipw
from .registry import register


class DescriptionControl(Control):
    """No input: the stem above it is the whole item."""

    qtype = "description"

    def _build(self, saved: Any):
        return ipw().Box([])

    def _inputs(self) -> list:
        return []

    @property
    def value(self) -> Any:
        return None

    def clear(self) -> None:
        return None

    def fill(self, value: Any) -> None:
        return None


@register
class Description(KeylessKind):
    name = "description"
    position = 90
    control = DescriptionControl
    scored = False

    def check(self, q: QuestionData) -> None:
        return None  # the stem is the text, and an empty stem is refused by the model

    def is_answered(self, value: Any) -> bool:
        return False

    def answer_text(self, q: QuestionData, value: Any, lang: str | None) -> str:
        return t("widgets.no_answer_needed", lang)

    def key_text(self, q: QuestionData, lang: str | None) -> str:
        return t("widgets.no_answer_needed", lang)

    def example(self) -> dict[str, Any]:
        return dict(id="ex-description", stem="以下几题围绕**“三会一课”**制度：支部党员大会、支委会、党小组会和党课。",
                    explanation="说明文字，不计分。")

    def right_answer(self, q: QuestionData) -> Any:
        return None

    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        return None
